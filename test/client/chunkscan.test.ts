// The chunk scanner (the fast path of StreamState) against JSON.parse (the full path): for any
// chunk text, valid or not, in any key order, with duplicate keys, odd types and escapes, the state
// a stream ends in is the same with the fast path on and off.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamState, streamOutcome } from '../../src/client/stream.js';
import { ChunkScan } from '../../src/client/chunkscan.js';

function snapshot(s: StreamState): object {
  return {
    firstChunkAtMs: s.firstChunkAtMs, firstTokenAtMs: s.firstTokenAtMs, firstContentAtMs: s.firstContentAtMs, lastOutputAtMs: s.lastOutputAtMs,
    outputChunks: s.outputChunks, done: s.done, finishReason: s.finishReason, usage: s.usage, usageInvalid: s.usageInvalid,
    answerTooLarge: s.answerTooLarge, answerBytes: s.answerBytes, text: s.text, reasoningText: s.reasoningText, toolCalls: s.toolCalls,
    error: s.error, outcome: streamOutcome(s),
  };
}

function both(datas: string[], keepText: boolean): { fast: StreamState; full: StreamState } {
  const gapsFast: number[] = [];
  const gapsFull: number[] = [];
  const fast = new StreamState({ keepText, maxAnswerBytes: 64, observer: { onGap: (g) => gapsFast.push(g) } });
  const full = new StreamState({ keepText, maxAnswerBytes: 64, fastPath: false, observer: { onGap: (g) => gapsFull.push(g) } });
  datas.forEach((d, i) => {
    fast.onEvent(d, undefined, i);
    full.onEvent(d, undefined, i);
  });
  expect(gapsFast).toEqual(gapsFull);
  return { fast, full };
}

// ---- arbitrary chunk text -----------------------------------------------------------------
const str = fc.string({ unit: fc.constantFrom('a', ' ', 'é', '日', '🚀', '"', '\\', '\n', '\t', '\u0001', '/', '\u2028', '\ud83d'), maxLength: 6 });
const odd = fc.oneof(str, fc.constant(null), fc.integer(), fc.double(), fc.boolean(), fc.constant([]), fc.constant({}), fc.jsonValue({ maxDepth: 2 }));
const count = fc.oneof(fc.nat(1000), fc.constant(2.5), fc.constant(1e308), fc.constant(-1), fc.constant('3'), fc.constant(null), fc.constant(0), fc.constant({ n: 1 }));

/** A JSON object as [key, value] entries, so keys can repeat and come in any order. */
type Entries = [string, unknown][];
class Obj {
  constructor(readonly entries: Entries) {}
}
const maybe = (key: string, v: fc.Arbitrary<unknown>): fc.Arbitrary<Entries> => fc.option(v, { nil: undefined }).map((x) => (x === undefined ? [] : [[key, x]]));
function obj(...parts: fc.Arbitrary<Entries>[]): fc.Arbitrary<Obj> {
  return fc.tuple(fc.tuple(...parts), fc.boolean(), fc.nat()).map(([xs, dup, seed]) => {
    const entries = xs.flat();
    // a shuffle by the seed, and sometimes a key repeated (JSON.parse keeps the last one)
    const out = entries.map((e, i) => [((i + 1) * 2654435761 + seed) % 1000, e] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    if (dup && out.length > 0) out.push([out[seed % out.length][0], out[(seed >> 3) % out.length][1]]);
    return new Obj(out);
  });
}
const toolDelta = obj(maybe('index', fc.oneof(fc.nat(3), odd)), maybe('id', fc.oneof(str, odd)), maybe('type', fc.constant('function')), maybe('function', fc.oneof(obj(maybe('name', fc.oneof(str, odd)), maybe('arguments', fc.oneof(str, odd))), odd)));
const delta = obj(
  maybe('role', fc.constantFrom('assistant', null)),
  maybe('content', fc.oneof(str, str, odd)),
  maybe('reasoning_content', fc.oneof(str, odd)),
  maybe('reasoning', fc.oneof(str, odd)),
  maybe('tool_calls', fc.oneof(fc.array(fc.oneof(toolDelta, odd), { maxLength: 2 }), odd)),
);
const choice = obj(
  maybe('index', fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, fc.constant(1), odd)),
  maybe('delta', fc.oneof({ arbitrary: delta, weight: 8 }, odd)),
  maybe('text', fc.oneof(str, odd)),
  maybe('finish_reason', fc.oneof(fc.constantFrom('stop', 'length', ''), odd)),
  maybe('logprobs', odd),
);
const ESCAPED_ERROR = Symbol('"err\\u006fr"');
const chunk = obj(
  maybe('id', str),
  maybe('object', fc.oneof({ arbitrary: fc.constant<unknown>('chat.completion.chunk'), weight: 8 }, fc.constantFrom<unknown>('error', ESCAPED_ERROR))),
  maybe('choices', fc.oneof({ arbitrary: fc.array(fc.oneof({ arbitrary: choice, weight: 8 }, odd), { maxLength: 3 }), weight: 8 }, odd)),
  maybe('usage', fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, obj(maybe('prompt_tokens', count), maybe('completion_tokens', count), maybe('total_tokens', count)), odd)),
  maybe('error', fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, odd)),
  maybe('message', str),
  maybe('t', fc.double({ noNaN: true })),
);

/** JSON text with the given whitespace between tokens. */
function render(v: unknown, ws: string): string {
  if (v instanceof Obj) return `{${ws}${v.entries.map(([k, x]) => `${JSON.stringify(k)}${ws}:${ws}${render(x, ws)}`).join(`${ws},${ws}`)}${ws}}`;
  if (Array.isArray(v)) return `[${ws}${v.map((x) => render(x, ws)).join(`${ws},${ws}`)}${ws}]`;
  if (v === ESCAPED_ERROR) return '"err\\u006fr"';
  return JSON.stringify(v) ?? 'null';
}

describe('chunk scanner', () => {
  it('gives the same stream state as JSON.parse for arbitrary chunks, valid or mutated (property)', () => {
    const text = fc.tuple(chunk, fc.constantFrom('', ' ', '\n', '\t', '\r\n  '), fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', '}', ']', ',', ':', ' ', 'x', '0', '\u0001', '{"error":1}')))).map(([c, ws, mutation]) => {
      let s = render(c, ws);
      if (mutation !== undefined) {
        const at = mutation[0] % (s.length + 1);
        s = s.slice(0, at) + mutation[1] + s.slice(at + (mutation[1] === '' ? 1 : 0));
      }
      return s;
    });
    let fastChunks = 0;
    let events = 0;
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), fc.boolean(), (datas, keepText) => {
        const { fast, full } = both(datas, keepText);
        expect(snapshot(fast)).toEqual(snapshot(full));
        fastChunks += fast.templateChunks + fast.scannedChunks;
        events += fast.templateChunks + fast.scannedChunks + fast.fullParseChunks;
      }),
      { numRuns: 3000, seed: 15 },
    );
    // The comparison means something only if the scanner took on a good share of the chunks.
    expect(fastChunks / events).toBeGreaterThan(0.25);
  });

  it('gives the same stream state as JSON.parse for chunks of one shape with new values, valid or mutated (property: templates)', () => {
    const STEADY = new Set(['object', 'index', 'finish_reason', 'role', 'error', 'delta']);
    /** The same tree with leaves replaced from `pool` (strings by strings, numbers by numbers, sometimes by another type). */
    function revalue(v: unknown, pool: { strs: string[]; nums: number[]; i: number }): unknown {
      // Values that stay put in real streams (most chunks share them) are kept, so templates get matched.
      if (v instanceof Obj) return new Obj(v.entries.map(([k, x]) => [k, STEADY.has(k) && pool.i++ % 5 !== 0 ? x : revalue(x, pool)]));
      if (Array.isArray(v)) return v.map((x) => revalue(x, pool));
      const n = pool.i++;
      if (typeof v === 'string') return n % 11 === 10 ? pool.nums[n % pool.nums.length] : pool.strs[n % pool.strs.length];
      if (typeof v === 'number') return n % 13 === 12 ? pool.strs[n % pool.strs.length] : pool.nums[n % pool.nums.length];
      return v;
    }
    const variant = fc.record({
      strs: fc.array(str, { minLength: 1, maxLength: 5 }),
      nums: fc.array(fc.oneof(fc.nat(10_000), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(2.5), fc.constant(-0)), { minLength: 1, maxLength: 5 }),
      mutation: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', '}', ',', ' ', 'x', '0', '\u0001'))),
    });
    let templated = 0;
    let events = 0;
    fc.assert(
      fc.property(chunk, fc.array(variant, { minLength: 1, maxLength: 6 }), fc.boolean(), (base, variants, keepText) => {
        const datas = [render(base, '')];
        for (const v of variants) {
          let t = render(revalue(base, { strs: v.strs, nums: v.nums, i: 0 }), '');
          if (v.mutation !== undefined) {
            const at = v.mutation[0] % (t.length + 1);
            t = t.slice(0, at) + v.mutation[1] + t.slice(at + (v.mutation[1] === '' ? 1 : 0));
          }
          datas.push(t);
        }
        const { fast, full } = both(datas, keepText);
        expect(snapshot(fast)).toEqual(snapshot(full));
        templated += fast.templateChunks;
        events += fast.templateChunks + fast.scannedChunks + fast.fullParseChunks;
      }),
      { numRuns: 3000, seed: 1515 },
    );
    // Most variants of a chunk the scanner learned should match its template, else this compares little.
    expect(templated / events).toBeGreaterThan(0.1);
  });

  it('matches a learned shape by its merged pieces, and reads an ignored value that varies as a hole from then on', () => {
    const scan = new ChunkScan();
    const vllm = (c: string) => `{"id":"chatcmpl-9f","object":"chat.completion.chunk","created":1731000000,"model":"m","choices":[{"index":0,"delta":{"content":"${c}"},"logprobs":null,"finish_reason":null}]}`;
    scan.learning = true;
    expect(scan.scan(vllm('a'))).toBe(true);
    scan.learning = false;
    const t = scan.learn()!;
    expect(t.merged).toHaveLength(2); // the id, created and model are part of the fixed pieces
    expect(scan.match(t, vllm('bc'))).toBe(true);
    expect(scan.lastMatch).toBe('merged');
    expect(scan.value(scan.content)).toBe('bc');
    // a timestamp that changes every chunk (bench-server's "t")
    const stamped = (c: string, at: number) => `{"id":"b","choices":[{"index":0,"delta":{"content":"${c}"},"finish_reason":null}],"t":${at}}`;
    scan.learning = true;
    expect(scan.scan(stamped('x', 1.5))).toBe(true);
    scan.learning = false;
    const u = scan.learn()!;
    expect(scan.match(u, stamped('y', 2.25))).toBe(true);
    expect(scan.lastMatch).toBe('pieces');
    expect(u.merged).toHaveLength(3); // content and t are holes now, the id is not
    expect(scan.match(u, stamped('z', 3))).toBe(true);
    expect(scan.lastMatch).toBe('merged');
    expect(scan.value(scan.content)).toBe('z');
    // not the shape: no match, and the caller scans it whole
    expect(scan.match(u, stamped('z', 3).replace('"finish_reason":null', '"finish_reason":"stop"'))).toBe(false);
  });

  it('takes on common chunks and refuses what it must leave to JSON.parse', () => {
    const scan = new ChunkScan();
    const take = [
      '{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}',
      ' {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}} ',
      '{"choices":[{"delta":{"content":"x\\"y\\u00e9"}}],"error":null}',
      '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}',
      '{"choices":[{"index":0,"text":"t"}],"object":"text_completion"}',
    ];
    const refuse = [
      '', '[DONE]', '{', '{"choices":[{"index":0,"delta":{"content":"a"}}]', '{"a":1}x', '{"a":01}', '{"a":1.}', '{"a":"\\x"}', '{"a":"\t"}',
      '{"error":{"message":"m"}}', '{"object":"error","message":"m"}', '{"object":"err\\u006fr"}', '{"choices":[{"index":1,"delta":{}}]}',
      '{"choices":[null]}', '{"choices":"x"}', '{"usage":[]}', '{"cho\\u0069ces":[]}', '[1]', '{"choices":[{"index":0,"delta":[]}]}',
    ];
    for (const t of take) expect(scan.scan(t), t).toBe(true);
    for (const r of refuse) expect(scan.scan(r), r).toBe(false);
  });
});
