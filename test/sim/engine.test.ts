import { describe, expect, it } from 'vitest';
import { BASE_SETTINGS } from '../../src/sim/config.js';
import { BlockingEngine, ContinuousEngine, LruBlocks, type Engine, type EngineParams, type EngineRequest, type EngineSink } from '../../src/sim/engine.js';
import { blockHashes } from '../../src/sim/prefix.js';
import { rngFor } from '../../src/util/rng.js';

// The engine models under a virtual clock: every test drives an engine from event to event, so
// time costs nothing and results are exact. Defaults are the documented ones (config.ts).
const PARAMS: EngineParams = {
  decodeBaseMs: BASE_SETTINGS.decodeBaseMs,
  decodePerSeqMs: BASE_SETTINGS.decodePerSeqMs,
  decodePerKContextMs: BASE_SETTINGS.decodePerKContextMs,
  prefillMsPerToken: BASE_SETTINGS.prefillMsPerToken,
  prefillChunkTokens: BASE_SETTINGS.prefillChunkTokens,
  longPrefillTokens: BASE_SETTINGS.longPrefillTokens,
  maxRunningSeqs: BASE_SETTINGS.maxRunningSeqs,
  kvBudgetTokens: BASE_SETTINGS.kvBudgetTokens,
  preemption: true,
  prefixCache: false,
  prefixCacheBlocks: BASE_SETTINGS.kvBudgetTokens / BASE_SETTINGS.blockTokens,
  blockTokens: BASE_SETTINGS.blockTokens,
};

interface Timeline {
  submittedAtMs: number;
  admittedAtMs: number | null;
  tokens: number[];
  outputTokens: number;
}

/** An engine with a recording sink. */
function harness(make: (sink: EngineSink) => Engine) {
  const lines = new Map<number, Timeline>();
  const finished: number[] = [];
  const sink: EngineSink = {
    token(id, index, atMs) {
      const l = lines.get(id)!;
      expect(index).toBe(l.tokens.length);
      l.tokens.push(atMs);
      if (l.tokens.length === l.outputTokens) finished.push(id);
    },
    admitted(id, atMs) {
      lines.get(id)!.admittedAtMs = atMs;
    },
  };
  const engine = make(sink);
  return {
    engine,
    lines,
    submit(req: EngineRequest, atMs: number) {
      lines.set(req.id, { submittedAtMs: atMs, admittedAtMs: null, tokens: [], outputTokens: req.outputTokens });
      engine.advance(atMs);
      engine.submit(req, atMs);
    },
    /** Advances to the next event; returns the ids that finished there (null when idle). */
    step(): { atMs: number; done: number[] } | null {
      const at = engine.nextEventAtMs();
      if (at === null) return null;
      engine.advance(at);
      return { atMs: at, done: finished.splice(0) };
    },
    runUntilIdle(): void {
      while (this.step() !== null);
    },
  };
}

/** Closed loop: `concurrency` in flight; each finish submits the next, until `total` were sent. */
function closedLoop(make: (sink: EngineSink) => Engine, concurrency: number, total: number, req: (i: number) => Omit<EngineRequest, 'id'>) {
  const h = harness(make);
  let sent = 0;
  while (sent < concurrency) h.submit({ id: sent, ...req(sent++) }, 0);
  for (let s = h.step(); s !== null; s = h.step()) {
    for (const _ of s.done) if (sent < total) h.submit({ id: sent, ...req(sent++) }, s.atMs);
  }
  return [...h.lines.values()];
}

const ttft = (l: Timeline) => l.tokens[0] - l.submittedAtMs;
const tpot = (l: Timeline) => (l.tokens[l.tokens.length - 1] - l.tokens[0]) / (l.tokens.length - 1);
const e2e = (l: Timeline) => l.tokens[l.tokens.length - 1] - l.submittedAtMs;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

describe('blocking engine (Ollama-like, 1 slot)', () => {
  const make = (sink: EngineSink) => new BlockingEngine(PARAMS, 1, sink);
  const req = () => ({ promptTokens: 500, outputTokens: 100 });

  it('serves one request with TTFT = prefill + one decode step and a constant inter-token time', () => {
    const [l] = closedLoop(make, 1, 1, req);
    const step = PARAMS.decodeBaseMs + PARAMS.decodePerSeqMs;
    expect(ttft(l)).toBeCloseTo(500 * PARAMS.prefillMsPerToken + step + (PARAMS.decodePerKContextMs * 500) / 1000, 6);
    expect(tpot(l)).toBeGreaterThanOrEqual(step);
    expect(tpot(l)).toBeLessThan(step + 0.05);
  });

  it('makes TTFT p50 at concurrency 8 at least 8x a single request E2E/2 (FIFO, no batching)', () => {
    const single = e2e(closedLoop(make, 1, 1, req)[0]);
    const lines = closedLoop(make, 8, 48, req).slice(8); // steady state: past the first wave
    const p50 = median(lines.map(ttft));
    expect(p50).toBeGreaterThanOrEqual((8 * single) / 2);
    // Each waits for the 7 ahead of it: close to 7 whole services.
    expect(p50).toBeGreaterThan(6.5 * single);
    // No batching: the inter-token time is the single-sequence one at any concurrency.
    expect(median(lines.map(tpot))).toBeCloseTo(tpot(closedLoop(make, 1, 1, req)[0]), 1);
  });

  it('with N slots runs N at once', () => {
    const lines = closedLoop((sink) => new BlockingEngine(PARAMS, 4, sink), 4, 4, req);
    expect(new Set(lines.map((l) => l.tokens[0])).size).toBe(1);
  });
});

describe('continuous-batching engine', () => {
  const make = (sink: EngineSink) => new ContinuousEngine(PARAMS, sink);
  const req = () => ({ promptTokens: 500, outputTokens: 100 });

  it('keeps TTFT near the prefill cost while TPOT grows with concurrency', () => {
    const at = (c: number) => closedLoop(make, c, c * 4, req).slice(c);
    const prefillMs = 500 * PARAMS.prefillMsPerToken;
    const tpots: number[] = [];
    for (const c of [1, 8, 64]) {
      const lines = at(c);
      // Waits for the step in flight, then one step carrying its prefill (shared with the few that
      // finished and were replaced at the same boundary): tens of ms, against ~1 s of E2E.
      const step = PARAMS.decodeBaseMs + PARAMS.decodePerSeqMs * c + (PARAMS.decodePerKContextMs * 550 * c) / 1000;
      const joining = Math.min(c, PARAMS.prefillChunkTokens / 500);
      expect(median(lines.map(ttft))).toBeLessThanOrEqual(2 * (step + joining * prefillMs));
      if (c === 1) expect(median(lines.map(ttft))).toBeCloseTo(prefillMs + PARAMS.decodeBaseMs, 6);
      tpots.push(median(lines.map(tpot)));
    }
    expect(tpots[0]).toBeGreaterThanOrEqual(PARAMS.decodeBaseMs);
    expect(tpots[1]).toBeGreaterThan(tpots[0]);
    expect(tpots[2]).toBeGreaterThan(tpots[1] + 2);
    // Batching: 64 in flight cost far less than 64x one.
    expect(tpots[2]).toBeLessThan(3 * tpots[0]);
  });

  it('lets a long-context prefill raise concurrent short requests\' inter-token gaps', () => {
    const h = harness(make);
    for (let i = 0; i < 4; i++) h.submit({ id: i, promptTokens: 200, outputTokens: 400 }, 0);
    while (h.engine.nextEventAtMs()! < 500) h.step();
    const longAt = h.engine.nextEventAtMs()!;
    h.submit({ id: 99, promptTokens: 16_000, outputTokens: 10 }, longAt);
    h.runUntilIdle();
    const short = h.lines.get(0)!.tokens;
    const gaps = short.slice(1).map((t, i) => ({ at: short[i], gap: t - short[i] }));
    const long = h.lines.get(99)!;
    const before = gaps.filter((g) => g.at > 100 && g.at < longAt - 50).map((g) => g.gap);
    const during = gaps.filter((g) => g.at > longAt && g.at < long.tokens[0]).map((g) => g.gap);
    // Before: plain decode steps. During: each step also carries a 1,024-token chunk.
    expect(Math.max(...before)).toBeLessThan(PARAMS.decodeBaseMs + 1);
    expect(median(during)).toBeGreaterThanOrEqual(PARAMS.decodeBaseMs + PARAMS.longPrefillTokens * PARAMS.prefillMsPerToken);
    // The long request's TTFT is its whole prefill, spread over 16 steps.
    expect(ttft(long)).toBeGreaterThan(16_000 * PARAMS.prefillMsPerToken + 15 * PARAMS.decodeBaseMs);
  });

  it('admits new requests only at step boundaries', () => {
    const h = harness(make);
    h.submit({ id: 0, promptTokens: 100, outputTokens: 50 }, 0);
    const firstStepEnd = h.engine.nextEventAtMs()!;
    h.submit({ id: 1, promptTokens: 100, outputTokens: 50 }, firstStepEnd / 2);
    h.runUntilIdle();
    expect(h.lines.get(1)!.admittedAtMs).toBe(firstStepEnd);
  });

  it('queues requests when the KV budget is full and preempts (recompute) as sequences grow', () => {
    const small = { ...PARAMS, kvBudgetTokens: 4_000 };
    const h = harness((sink) => new ContinuousEngine(small, sink));
    for (let i = 0; i < 6; i++) h.submit({ id: i, promptTokens: 900, outputTokens: 300 }, 0);
    h.step();
    expect(h.engine.gauges().running).toBe(4);
    expect(h.engine.gauges().waiting).toBe(2);
    let maxKv = 0;
    for (let s = h.step(); s !== null; s = h.step()) {
      maxKv = Math.max(maxKv, h.engine.gauges().kvUsage);
      expect(h.engine.gauges().kvUsage).toBeLessThanOrEqual(1);
    }
    expect(maxKv).toBeGreaterThan(0.95);
    expect(h.engine.counters.preemptions).toBeGreaterThan(0);
    // Everyone finished with every token, preempted or not.
    for (const l of h.lines.values()) expect(l.tokens).toHaveLength(300);
    expect(h.engine.gauges()).toEqual({ running: 0, waiting: 0, kvUsage: 0 });
  });

  it('never preempts with preemption off: it reserves prompt + output at admission', () => {
    const small = { ...PARAMS, kvBudgetTokens: 4_000, preemption: false };
    const h = harness((sink) => new ContinuousEngine(small, sink));
    for (let i = 0; i < 6; i++) h.submit({ id: i, promptTokens: 900, outputTokens: 300 }, 0);
    h.step();
    expect(h.engine.gauges().running).toBe(3); // 3 × 1,200 ≤ 4,000 < 4 × 1,200
    h.runUntilIdle();
    expect(h.engine.counters.preemptions).toBe(0);
    expect(h.engine.fits(3_900, 200)).toBe(false);
  });

  it('frees a cancelled request\'s KV and lets the queue move', () => {
    const small = { ...PARAMS, kvBudgetTokens: 2_000 };
    const h = harness((sink) => new ContinuousEngine(small, sink));
    h.submit({ id: 0, promptTokens: 1_500, outputTokens: 100 }, 0);
    h.submit({ id: 1, promptTokens: 1_500, outputTokens: 100 }, 0);
    h.step();
    expect(h.engine.gauges().waiting).toBe(1);
    h.engine.cancel(0, h.engine.nextEventAtMs()!);
    h.runUntilIdle();
    expect(h.lines.get(1)!.tokens).toHaveLength(100);
    expect(h.lines.get(0)!.tokens.length).toBeLessThan(100);
  });
});

describe('prefix-cache engine', () => {
  // RAG-shaped: a system prompt and a 2,000-word document shared by all, then 500-1,500 unique words.
  const rng = rngFor(3, 1, 1);
  const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}x${Math.floor(rng() * 1e6)}`).join(' ');
  const system = 'You answer questions using only the context provided by the user.';
  const doc = words(2000, 'doc');
  const requests = Array.from({ length: 60 }, (_, i) => {
    const user = `${doc} ${words(500 + Math.floor(rng() * 1000), `q${i}_`)} Question: what changed?`;
    const texts = [system, user];
    const promptTokens = texts.join(' ').split(/\s+/).length;
    return { promptTokens, outputTokens: 120, blockHashes: blockHashes(texts, PARAMS.blockTokens) };
  });
  /** Poisson-ish open loop: one request every 300 ms. */
  const run = (prefixCache: boolean) => {
    const h = harness((sink) => new ContinuousEngine({ ...PARAMS, prefixCache }, sink));
    requests.forEach((r, i) => {
      const at = i * 300;
      while (h.engine.nextEventAtMs() !== null && h.engine.nextEventAtMs()! <= at) h.step();
      h.submit({ id: i, ...r }, at);
    });
    h.runUntilIdle();
    return { lines: [...h.lines.values()], counters: h.engine.counters };
  };

  it('hits on the shared prefix for > 90 % of requests after warm-up, and lowers TTFT', () => {
    const cached = run(true);
    const plain = run(false);
    const c = cached.counters;
    // The first request fills the cache; every later one finds the system prompt + document.
    expect(c.prefixHitRequests / c.prefixQueryRequests).toBeGreaterThan(0.9);
    expect(c.prefixHitRequests).toBe(c.prefixQueryRequests - 1);
    // Token hit rate (vLLM's definition) = the shared share of the prompt: ~2,010 of ~3,010 words.
    const shared = Math.floor((system.split(' ').length + 2000) / PARAMS.blockTokens) * PARAMS.blockTokens;
    const totalPrompt = requests.reduce((s, r) => s + r.promptTokens, 0);
    expect(c.prefixHitTokens).toBe(shared * (requests.length - 1));
    expect(c.prefixHitTokens / c.prefixQueryTokens).toBeCloseTo((shared * 59) / totalPrompt, 6);
    const after = (r: ReturnType<typeof run>) => median(r.lines.slice(4).map(ttft));
    // The document's ~2,000 tokens of prefill (~40 ms) are skipped.
    expect(after(plain) - after(cached)).toBeGreaterThan(shared * PARAMS.prefillMsPerToken * 0.8);
    expect(plain.counters.prefixQueryRequests).toBe(0);
  });

  it('evicts the least recently used blocks first', () => {
    const lru = new LruBlocks(3);
    lru.insert([1, 2, 3]);
    expect(lru.matchPrefix([1])).toBe(1); // 1 is now the most recent
    lru.insert([4]); // evicts 2
    expect(lru.matchPrefix([1, 2])).toBe(1);
    expect(lru.matchPrefix([3])).toBe(1);
    expect(lru.size).toBe(3);
  });

  it('chains block keys: a block matches only after an identical prefix', () => {
    const a = blockHashes(['one two three four', 'five six'], 2);
    const b = blockHashes(['one two three four five six seven'], 2);
    const c = blockHashes(['zero two three four five six'], 2);
    expect(a).toHaveLength(3);
    expect(b.slice(0, 3)).toEqual(a); // message boundaries are whitespace; the partial block is not keyed
    expect(b).toHaveLength(3);
    expect(c[1]).not.toBe(a[1]); // same words, different history
  });
});
