import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamReader, StreamState, streamOutcome, type StreamObserver } from '../../src/client/stream.js';

// ---- wire builders (vLLM / OpenAI shapes) -------------------------------------------------
const ID = '"id":"chatcmpl-1","object":"chat.completion.chunk","created":1731000000,"model":"m"';
function chat(delta: object, finishReason: string | null = null, extra = ''): string {
  return `{${ID},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]${extra}}`;
}
function completion(text: string, finishReason: string | null = null): string {
  return `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]}`;
}
function usageOnly(prompt: number, completionTokens: number): string {
  return `{${ID},"choices":[],"usage":{"prompt_tokens":${prompt},"total_tokens":${prompt + completionTokens},"completion_tokens":${completionTokens}}}`;
}
const usageField = (p: number, c: number): string => `,"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}`;

class Gaps implements StreamObserver {
  gaps: number[] = [];
  onGap(gapMs: number): void {
    this.gaps.push(gapMs);
  }
}

/** Feeds [data, atMs] or [data, atMs, event] events to a fresh state. */
function run(events: [string, number, string?][], keepText = true): { s: StreamState; gaps: number[] } {
  const g = new Gaps();
  const s = new StreamState({ keepText, observer: g });
  for (const [data, at, ev] of events) s.onEvent(data, ev, at);
  return { s, gaps: g.gaps };
}

describe('StreamState: chat streams', () => {
  it('times a role-only first chunk as a chunk, not as output, then content chunks as tokens', () => {
    const { s, gaps } = run([
      [chat({ role: 'assistant', content: '' }), 10],
      [chat({ content: 'Hel' }), 25],
      [chat({ content: 'lo' }), 31],
      [chat({ content: '!' }, 'stop'), 40],
      [usageOnly(12, 3), 41],
      ['[DONE]', 42],
    ]);
    expect(s.firstChunkAtMs).toBe(10);
    expect(s.firstTokenAtMs).toBe(25);
    expect(s.firstContentAtMs).toBe(25);
    expect(s.lastOutputAtMs).toBe(40);
    expect(s.outputChunks).toBe(3);
    expect(s.text).toBe('Hello!');
    expect(s.finishReason).toBe('stop');
    expect(s.usage).toEqual({ promptTokens: 12, completionTokens: 3 });
    expect(s.done).toBe(true);
    expect(s.error).toBeNull();
    expect(gaps).toEqual([6, 9]);
    expect(streamOutcome(s)).toEqual({ ok: true });
  });

  it('keeps no text when keepText is false but counts the same', () => {
    const { s } = run([[chat({ content: 'a' }), 1], [chat({ reasoning_content: 'r' }), 2], ['[DONE]', 3]], false);
    expect(s.text).toBe('');
    expect(s.reasoningText).toBe('');
    expect(s.outputChunks).toBe(2);
  });

  it('separates reasoning (reasoning_content or reasoning) from the first answer token', () => {
    const { s, gaps } = run([
      [chat({ role: 'assistant', content: '' }), 5],
      [chat({ reasoning_content: 'Let me' }), 7],
      [chat({ reasoning: ' think' }), 9],
      [chat({ content: '', reasoning_content: '.' }), 12],
      [chat({ content: '42' }, 'stop'), 20],
    ]);
    expect(s.firstChunkAtMs).toBe(5);
    expect(s.firstTokenAtMs).toBe(7);
    expect(s.firstContentAtMs).toBe(20);
    expect(s.outputChunks).toBe(4);
    expect(s.reasoningText).toBe('Let me think.');
    expect(s.text).toBe('42');
    expect(gaps).toEqual([2, 3, 8]);
  });

  it('assembles parallel tool calls by index from interleaved deltas', () => {
    const tc = (index: number, fn: object, id?: string): object => ({ tool_calls: [{ index, ...(id ? { id, type: 'function' } : {}), function: fn }] });
    const { s } = run([
      [chat({ role: 'assistant', content: null }), 1],
      [chat(tc(0, { name: 'get_weather', arguments: '' }, 'call_a')), 2],
      [chat(tc(1, { name: 'get_time', arguments: '' }, 'call_b')), 3],
      [chat(tc(0, { arguments: '{"city":' })), 4],
      [chat(tc(1, { arguments: '{"tz":"UTC"}' })), 5],
      [chat(tc(0, { arguments: '"Paris"}' })), 6],
      [chat({}, 'tool_calls'), 7],
      ['[DONE]', 8],
    ]);
    expect(s.toolCalls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'get_time', arguments: '{"tz":"UTC"}' },
    ]);
    expect(s.firstTokenAtMs).toBe(2);
    expect(s.firstContentAtMs).toBe(2);
    expect(s.outputChunks).toBe(5);
    expect(s.finishReason).toBe('tool_calls');
    expect(s.text).toBe('');
  });

  it('assembles tool calls several per delta, without an index, and with a repeated name', () => {
    const { s } = run([
      [chat({ tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{"a"' } }, { id: 'y', function: { name: 'g', arguments: '{}' } }] }), 1],
      [chat({ tool_calls: [{ index: 0, function: { name: 'f', arguments: ':1}' } }] }), 2],
    ]);
    expect(s.toolCalls).toEqual([
      { id: 'x', name: 'f', arguments: '{"a":1}' },
      { id: 'y', name: 'g', arguments: '{}' },
    ]);
    // an id-only tool delta carries no output
    const { s: s2 } = run([[chat({ tool_calls: [{ index: 0, id: 'c', type: 'function' }] }), 1]]);
    expect(s2.outputChunks).toBe(0);
    expect(s2.firstTokenAtMs).toBeNull();
    expect(s2.toolCalls).toEqual([{ id: 'c', name: '', arguments: '' }]);
  });

  it('takes finish_reason from any chunk, including one that also carries content', () => {
    expect(run([[chat({ content: 'a' }, 'length'), 1]]).s.finishReason).toBe('length');
    const { s } = run([[chat({ content: 'a' }), 1], [chat({}, 'stop'), 2], [usageOnly(1, 1), 3]]);
    expect(s.finishReason).toBe('stop');
    expect(s.outputChunks).toBe(1);
    expect(s.lastOutputAtMs).toBe(1);
  });

  it('takes the last usage when every chunk carries one (continuous usage stats)', () => {
    const { s } = run([
      [chat({ role: 'assistant', content: '' }, null, usageField(7, 0)), 1],
      [chat({ content: 'a' }, null, usageField(7, 1)), 2],
      [chat({ content: 'b' }, 'stop', usageField(7, 2)), 3],
      ['[DONE]', 4],
    ]);
    expect(s.usage).toEqual({ promptTokens: 7, completionTokens: 2 });
    // `"usage": null` on chunks (OpenAI with include_usage) changes nothing
    const { s: s2 } = run([[chat({ content: 'a' }, null, ',"usage":null'), 1]]);
    expect(s2.usage).toBeNull();
  });

  it('counts choice index 0 only when several choices stream', () => {
    const two = (i0: number, c0: string, i1: number, c1: string): string =>
      `{${ID},"choices":[{"index":${i0},"delta":{"content":${JSON.stringify(c0)}},"finish_reason":null},{"index":${i1},"delta":{"content":${JSON.stringify(c1)}},"finish_reason":null}]}`;
    const choice1 = `{${ID},"choices":[{"index":1,"delta":{"content":"other"},"finish_reason":"stop"}]}`;
    const { s } = run([
      [choice1, 3],
      [two(1, 'B', 0, 'a'), 5],
      [two(0, 'b', 1, 'C'), 6],
    ]);
    expect(s.firstChunkAtMs).toBe(3); // a chunk of any kind
    expect(s.firstTokenAtMs).toBe(5);
    expect(s.outputChunks).toBe(2);
    expect(s.text).toBe('ab');
    expect(s.finishReason).toBeNull(); // choice 1's finish_reason is not choice 0's
  });
});

describe('StreamState: completions streams', () => {
  it('reads choices[0].text', () => {
    const { s } = run([
      [completion('Once'), 3],
      [completion(''), 4],
      [completion(' upon', 'length'), 8],
      [usageOnly(5, 2), 9],
      ['[DONE]', 9],
    ]);
    expect(s.firstChunkAtMs).toBe(3);
    expect(s.firstContentAtMs).toBe(3);
    expect(s.outputChunks).toBe(2);
    expect(s.text).toBe('Once upon');
    expect(s.finishReason).toBe('length');
    expect(s.usage).toEqual({ promptTokens: 5, completionTokens: 2 });
  });
});

describe('StreamState: the end, errors and junk', () => {
  it('ignores events after [DONE] (also " [DONE] " with whitespace)', () => {
    const { s } = run([[chat({ content: 'a' }), 1], [' [DONE] ', 2], [chat({ content: 'b' }), 3], ['not json', 4]]);
    expect(s.done).toBe(true);
    expect(s.text).toBe('a');
    expect(s.error).toBeNull();
  });

  it('classifies an OpenAI/vLLM error object in the stream as stream_error and ignores what follows', () => {
    const { s } = run([
      [chat({ content: 'a' }), 1],
      ['{"error":{"message":"The model is overloaded","type":"ServiceUnavailableError","code":503}}', 2],
      [chat({ content: 'b' }, 'stop'), 3],
      ['[DONE]', 4],
    ]);
    expect(s.error).toEqual({ errorClass: 'stream_error', message: 'The model is overloaded' });
    expect(s.text).toBe('a');
    expect(s.done).toBe(false);
    expect(streamOutcome(s)).toEqual({ ok: false, errorClass: 'stream_error', message: 'The model is overloaded' });
  });

  it('classifies {object:"error", message} and a string error field', () => {
    expect(run([['{"object":"error","message":"bad","type":"BadRequestError","code":400}', 1]]).s.error).toEqual({
      errorClass: 'stream_error',
      message: 'bad',
    });
    expect(run([['{"error":"boom"}', 1]]).s.error).toEqual({ errorClass: 'stream_error', message: 'boom' });
    // "error": null is not an error
    expect(run([[chat({ content: 'a' }, null, ',"error":null'), 1]]).s.error).toBeNull();
  });

  it('classifies `event: error` as stream_error, with a JSON or a plain-text payload', () => {
    const j = run([['{"error":{"message":"oom"}}', 1, 'error']]).s;
    expect(j.error).toEqual({ errorClass: 'stream_error', message: 'event: error: oom' });
    expect(j.firstChunkAtMs).toBeNull();
    expect(run([['upstream died', 1, 'error']]).s.error).toEqual({ errorClass: 'stream_error', message: 'event: error: upstream died' });
  });

  it('classifies data that is not JSON as malformed, quoting its first 200 characters', () => {
    const bad = `{"choices": [${'x'.repeat(300)}`;
    const { s } = run([[chat({ content: 'a' }), 1], [bad, 2], [chat({ content: 'b' }), 3]]);
    expect(s.error?.errorClass).toBe('malformed');
    expect(s.error?.message).toContain(bad.slice(0, 200));
    expect(s.error?.message).not.toContain(bad.slice(0, 201));
    expect(s.outputChunks).toBe(1);
    expect(streamOutcome(s)).toMatchObject({ ok: false, errorClass: 'malformed' });
  });

  it('classifies JSON that is not an object as malformed', () => {
    for (const d of ['42', '"text"', 'null', '[1,2]', 'true']) {
      expect(run([[d, 1]]).s.error?.errorClass).toBe('malformed');
    }
  });

  it('ignores empty and whitespace-only data and chunks of unexpected shape', () => {
    const { s } = run([
      ['', 1],
      ['  ', 2],
      ['{}', 3],
      ['{"choices":"x"}', 4],
      ['{"choices":[null]}', 5],
      ['{"choices":[{"index":0,"delta":null}]}', 6],
      ['{"choices":[{"index":0,"delta":{"content":5,"tool_calls":[null,{"function":{"name":7}}]}}]}', 7],
    ]);
    expect(s.error).toBeNull();
    expect(s.firstChunkAtMs).toBe(3);
    expect(s.outputChunks).toBe(0);
    expect(s.firstTokenAtMs).toBeNull();
  });

  it('says how the stream ended: a finish_reason (with or without [DONE]), [DONE] alone (no_finish_reason), or truncated', () => {
    expect(streamOutcome(run([[chat({ content: 'a' }, 'stop'), 1], ['[DONE]', 2]]).s)).toEqual({ ok: true });
    expect(streamOutcome(run([[chat({ content: 'a' }), 1], ['[DONE]', 2]]).s)).toMatchObject({ ok: false, errorClass: 'stream_error', detail: 'no_finish_reason' });
    expect(streamOutcome(run([[chat({ content: 'a' }, 'stop'), 1]]).s)).toEqual({ ok: true });
    const t = streamOutcome(run([[chat({ content: 'a' }), 1], [chat({ content: 'b' }), 2]]).s);
    expect(t).toEqual({ ok: false, errorClass: 'stream_truncated', message: expect.stringContaining('2 output chunks') });
    expect(streamOutcome(new StreamState({ keepText: false }))).toMatchObject({ ok: false, errorClass: 'stream_truncated' });
  });
});

// ---- decoder + state together -------------------------------------------------------------
function sseOf(datas: string[], eol = '\n'): string {
  return datas.map((d) => `data: ${d}${eol}${eol}`).join('');
}

function readAll(reads: Uint8Array[], opts: { maxEventBytes?: number } = {}, times?: number[]): { s: StreamState; gaps: number[] } {
  const g = new Gaps();
  const r = new StreamReader({ keepText: true, observer: g, ...opts });
  reads.forEach((b, i) => r.push(b, times ? times[i] : 5));
  r.end(times ? times[times.length - 1] + 1 : 5);
  return { s: r.state, gaps: g.gaps };
}

/** The observable result of a state, for comparisons. */
function snapshot(s: StreamState): object {
  return {
    firstChunkAtMs: s.firstChunkAtMs,
    firstTokenAtMs: s.firstTokenAtMs,
    firstContentAtMs: s.firstContentAtMs,
    lastOutputAtMs: s.lastOutputAtMs,
    outputChunks: s.outputChunks,
    done: s.done,
    finishReason: s.finishReason,
    usage: s.usage,
    text: s.text,
    reasoningText: s.reasoningText,
    toolCalls: s.toolCalls,
    error: s.error,
    outcome: streamOutcome(s),
  };
}

describe('StreamReader: decoder and state together', () => {
  const datas = [
    chat({ role: 'assistant', content: '' }),
    chat({ reasoning_content: '考え' }),
    chat({ content: 'Hi 🚀' }),
    chat({ tool_calls: [{ index: 0, id: 't', function: { name: 'f', arguments: '{"q":"é"}' } }] }),
    chat({ content: '!' }, 'stop'),
    usageOnly(3, 4),
    '[DONE]',
  ];

  it('stamps each event with the receive time of the read that completed it', () => {
    const b = Buffer.from(`: hi\n\n${sseOf(datas)}`);
    const second = b.indexOf('Hi') + 3; // inside the 🚀 of the content chunk
    const { s, gaps } = readAll([b.subarray(0, second), b.subarray(second)], {}, [100, 130]);
    expect(s.firstChunkAtMs).toBe(100);
    expect(s.firstTokenAtMs).toBe(100);
    expect(s.firstContentAtMs).toBe(130);
    expect(s.text).toBe('Hi 🚀!');
    expect(s.reasoningText).toBe('考え');
    expect(s.toolCalls).toEqual([{ id: 't', name: 'f', arguments: '{"q":"é"}' }]);
    expect(gaps).toEqual([30, 0, 0]);
    expect(streamOutcome(s)).toEqual({ ok: true });
  });

  it('dispatches a final event that lacks its blank line at end()', () => {
    const { s } = readAll([Buffer.from(`${sseOf([chat({ content: 'a' })])}data: [DONE]`)]);
    expect(s.done).toBe(true);
  });

  it('classifies an event over the size limit as malformed instead of throwing', () => {
    const { s } = readAll([Buffer.from(sseOf([chat({ content: 'a' }), chat({ content: 'b'.repeat(5000) })]))], { maxEventBytes: 4096 });
    expect(s.outputChunks).toBe(1);
    expect(s.error?.errorClass).toBe('malformed');
    expect(s.error?.message).toMatch(/size limit/);
    expect(streamOutcome(s)).toMatchObject({ ok: false, errorClass: 'malformed' });
  });

  it('classifies `event: error` arriving over the wire', () => {
    const { s } = readAll([Buffer.from(`${sseOf([chat({ content: 'a' })])}event: error\r\ndata: {"error":{"message":"x"}}\r\n\r\n`)]);
    expect(s.error).toEqual({ errorClass: 'stream_error', message: 'event: error: x' });
  });

  it('gives the same state for any split of a valid stream into reads (property)', () => {
    const tokenArb = fc.string({ unit: fc.constantFrom('a', ' ', 'é', '日', '🚀', '"', '\\', '\n'), minLength: 1, maxLength: 6 });
    const chunkArb = fc.oneof(
      tokenArb.map((t) => chat({ content: t })),
      tokenArb.map((t) => chat({ reasoning_content: t })),
      tokenArb.map((t) => completion(t)),
      fc.tuple(fc.nat(2), tokenArb).map(([i, t]) => chat({ tool_calls: [{ index: i, function: { name: `f${i}`, arguments: t } }] })),
      fc.constant(chat({ role: 'assistant', content: '' })),
    );
    const streamArb = fc.record({
      chunks: fc.array(chunkArb, { maxLength: 12 }),
      ending: fc.constantFrom<'done' | 'finish' | 'none' | 'error' | 'junk'>('done', 'finish', 'none', 'error', 'junk'),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
    });
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 16 }), ({ chunks, ending, eol }, cuts) => {
        const tail =
          ending === 'done'
            ? [chat({}, 'stop'), usageOnly(1, chunks.length), '[DONE]']
            : ending === 'finish'
              ? [chat({}, 'length')]
              : ending === 'error'
                ? ['{"error":{"message":"late"}}', chat({ content: 'after' })]
                : ending === 'junk'
                  ? ['{"choices": [', chat({ content: 'after' })]
                  : [];
        const b = Buffer.from(`: keep-alive${eol}${eol}${sseOf([...chunks, ...tail], eol)}`);
        const offsets = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
        const reads: Buffer[] = [];
        let prev = 0;
        for (const o of offsets) {
          reads.push(b.subarray(prev, o));
          prev = o;
        }
        reads.push(b.subarray(prev));
        const whole = readAll([b]);
        const split = readAll(reads);
        expect(snapshot(split.s)).toEqual(snapshot(whole.s));
        expect(split.gaps.length).toBe(whole.gaps.length);
        // and the unsplit result is the one the chunks describe
        expect(whole.s.outputChunks).toBe(chunks.filter((c) => !c.includes('"role"')).length);
        expect(streamOutcome(whole.s).ok).toBe(ending === 'done' || ending === 'finish');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes: the result is nothing or a classified error (property)', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .constantFrom('data: ', 'data:', 'event: error\n', '\n', '\r\n', '\r', ': c\n', '[DONE]', '{"error":', '{"choices":[{"index":0,"delta":{"content":"x"}}]}', '{', 'null', '"', '\uFEFF', '🚀')
        .map((s) => new Uint8Array(Buffer.from(s))),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.boolean(), (reads, small) => {
        let s: StreamState | undefined;
        expect(() => {
          s = readAll(reads, small ? { maxEventBytes: 48 } : {}).s;
        }).not.toThrow();
        const o = streamOutcome(s as StreamState);
        if (!o.ok) expect(['stream_error', 'malformed', 'stream_truncated']).toContain(o.errorClass);
        if (s?.error) expect(['stream_error', 'malformed']).toContain(s.error.errorClass);
      }),
      { numRuns: 500 },
    );
  });
});
