// Golden stream corpus (corpus/fixtures.ts): every fixture is replayed twice, and both results must
// match corpus/golden.json, recorded before the per-chunk fast path existed:
// - through the real OpenAIClient against a loopback server (the record, timing fields reduced to
//   "set"/null, and the outcome's errorMessage, text, toolCalls and validityDetail);
// - directly through StreamReader with fixed receive times (the stream state, times included, and
//   the inter-chunk gaps).
// Fields added to records later are compared only where the golden file has them.
// LOADSHAPE_WRITE_GOLDEN=1 rewrites golden.json (only ever at a commit whose records are trusted).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIClient, type RequestOutcome } from '../../src/client/openai.js';
import { StreamReader, streamOutcome, type StreamState } from '../../src/client/stream.js';
import { Scrubber } from '../../src/util/redact.js';
import type { RequestPlan } from '../../src/workload/plan.js';
import { onePlan, startFaultServer, type FaultServer } from './fault-server.js';
import { CORPUS, type CorpusFixture } from './corpus/fixtures.js';

const GOLDEN = join(import.meta.dirname, 'corpus', 'golden.json');
const TIMING_FIELDS = new Set(['scheduledAtMs', 'sentAtMs', 'queueMs', 'ttftMs', 'firstChunkMs', 'tpotMs', 'e2eMs']);

const TOOLS = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }];
function planOf(f: CorpusFixture): RequestPlan {
  const base = onePlan(`/raw/${f.name}`);
  switch (f.plan ?? 'chat') {
    case 'chat':
      return base;
    case 'completions':
      return { ...base, kind: 'completion' };
    case 'tools':
      return { ...base, tools: TOOLS, toolChoice: { mode: 'auto' } } as RequestPlan;
    case 'schema':
      return { ...base, responseSchema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } };
  }
}

/** The body cut into reads: at `cuts`, or after every event (blank line) by default. */
export function readsOf(f: CorpusFixture): Buffer[] {
  const b = Buffer.from(f.body, 'utf8');
  let cuts = f.cuts;
  if (cuts === undefined) {
    cuts = [];
    for (const m of f.body.matchAll(/\r\n\r\n|\n\n|\r\r/g)) cuts.push(Buffer.byteLength(f.body.slice(0, m.index + m[0].length)));
  }
  const reads: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c > prev && c < b.length) {
      reads.push(b.subarray(prev, c));
      prev = c;
    }
  }
  reads.push(b.subarray(prev));
  return reads;
}

function normalRecord(o: RequestOutcome): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o.record)) r[k] = TIMING_FIELDS.has(k) ? (v === null ? null : 'set') : v;
  return r;
}

/** Direct replay: read i arrives at 10·(i+1) ms, the end 10 ms after the last read. */
export function replay(f: CorpusFixture, fastPath = true): { state: StreamState; gaps: number[] } {
  const gaps: number[] = [];
  const r = new StreamReader({
    keepText: f.keepText ?? true,
    observer: { onGap: (g) => gaps.push(g) },
    scrubber: new Scrubber(f.key ? [f.key] : []),
    maxAnswerBytes: f.maxAnswerBytes,
    fastPath,
  });
  const reads = readsOf(f);
  reads.forEach((b, i) => r.push(b, 10 * (i + 1)));
  r.end(10 * (reads.length + 1));
  return { state: r.state, gaps };
}

function stateSnapshot(s: StreamState, gaps: number[]): Record<string, unknown> {
  return {
    sawEvent: s.sawEvent,
    firstChunkAtMs: s.firstChunkAtMs,
    firstTokenAtMs: s.firstTokenAtMs,
    firstContentAtMs: s.firstContentAtMs,
    lastOutputAtMs: s.lastOutputAtMs,
    outputChunks: s.outputChunks,
    done: s.done,
    finishReason: s.finishReason,
    usage: s.usage,
    usageInvalid: s.usageInvalid,
    answerTooLarge: s.answerTooLarge,
    answerBytes: s.answerBytes,
    text: s.text,
    reasoningText: s.reasoningText,
    toolCalls: s.toolCalls,
    error: s.error,
    outcome: streamOutcome(s),
    gaps,
  };
}

/** `got` cut down to the object keys `want` has, recursively (arrays kept whole, element by element). */
function likeGolden(got: unknown, want: unknown): unknown {
  if (Array.isArray(got) && Array.isArray(want)) return got.map((x, i) => likeGolden(x, want[i]));
  if (got && want && typeof got === 'object' && typeof want === 'object' && !Array.isArray(want)) {
    return Object.fromEntries(Object.keys(want).map((k) => [k, likeGolden((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k])]));
  }
  return got;
}

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({
    raw: (req, res) => {
      const f = CORPUS.find((x) => req.url === `/v1/raw/${x.name}`);
      if (f === undefined) {
        res.writeHead(404);
        res.end();
        return;
      }
      void writeSlowly(res, readsOf(f));
    },
  });
});
afterAll(() => server.close());

/** One write per read, 2 ms apart, so the client mostly sees them as separate reads. */
async function writeSlowly(res: ServerResponse, reads: Buffer[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const b of reads) {
    res.write(b);
    await new Promise((r) => setTimeout(r, 2));
  }
  res.end();
}

async function throughClient(f: CorpusFixture): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const c = new OpenAIClient(
    {
      baseUrl: server.url,
      headers: f.key ? { authorization: `Bearer ${f.key}` } : {},
      keepText: f.keepText ?? true,
      maxAnswerBytes: f.maxAnswerBytes,
      timeouts: { ttfbMs: 5000, idleMs: 5000, totalMs: 10_000 },
    },
    now,
  );
  try {
    const o = await c.send({ plan: planOf(f), phase: 'p', scheduledAtMs: now() });
    return { record: normalRecord(o), errorMessage: o.errorMessage, text: o.text, toolCalls: o.toolCalls ?? null, validityDetail: o.validityDetail };
  } finally {
    await c.close();
  }
}

describe('golden stream corpus', () => {
  const golden: Record<string, { client: unknown; state: unknown }> = process.env.LOADSHAPE_WRITE_GOLDEN === '1' ? {} : JSON.parse(readFileSync(GOLDEN, 'utf8'));

  it('has a golden entry for every fixture and no stale ones', () => {
    if (process.env.LOADSHAPE_WRITE_GOLDEN === '1') return;
    expect(Object.keys(golden).sort()).toEqual(CORPUS.map((f) => f.name).sort());
  });

  it.each(CORPUS.map((f) => [f.name, f] as const))('%s yields the golden record and state', async (name, f) => {
    const client = await throughClient(f);
    const { state, gaps } = replay(f);
    const got = { client, state: stateSnapshot(state, gaps) };
    if (process.env.LOADSHAPE_WRITE_GOLDEN === '1') {
      golden[name] = got;
      return;
    }
    const want = golden[name];
    expect(likeGolden(got.client, want.client)).toEqual(want.client);
    expect(likeGolden(got.state, want.state)).toEqual(want.state);
  });

  it.each(CORPUS.map((f) => [f.name, f] as const))('%s: the chunks take the fast path they are meant to, and JSON.parse alone gives the same state', (_name, f) => {
    const fast = replay(f);
    expect([fast.state.templateChunks, fast.state.scannedChunks, fast.state.fullParseChunks]).toEqual(f.paths);
    // Every fixture has a chunk the scanner reads: a fast path that always fell back would fail here.
    expect(fast.state.templateChunks + fast.state.scannedChunks).toBeGreaterThan(0);
    const full = replay(f, false);
    expect(full.state.fullParseChunks).toBe(f.paths[0] + f.paths[1] + f.paths[2]);
    expect(full.state.templateChunks + full.state.scannedChunks).toBe(0);
    expect(stateSnapshot(fast.state, fast.gaps)).toEqual(stateSnapshot(full.state, full.gaps));
  });

  it("every engine's plain chat stream has chunks that match a learned shape (a template path that never matched would fail here)", () => {
    for (const name of ['vllm-chat', 'sglang-chat', 'tgi-chat', 'llamacpp-chat', 'ollama-chat', 'trtllm-chat', 'litellm-chat', 'openai-chat', 'bench-server']) {
      expect(replay(CORPUS.find((f) => f.name === name)!).state.templateChunks, name).toBeGreaterThan(0);
    }
  });

  afterAll(() => {
    if (process.env.LOADSHAPE_WRITE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(golden, null, 1)}\n`);
  });
});
