// Simulator, engine side (pure): when does each request's next token come out of a serving engine?
// Two models behind one interface, both driven by an injected clock (the caller passes `nowMs`):
//   - ContinuousEngine: a vLLM/SGLang-like token-step scheduler. Every step, each running sequence
//     that has finished its prefill gets one token; the step's cost grows with the batch (decode is
//     memory-bandwidth-bound: base + per-sequence + per-context-token); new requests join at step
//     boundaries; prompts are prefilled in chunks that ride in the same steps (so a long prompt
//     slows everyone's next tokens); a KV-cache budget in tokens gates admission, with optional
//     preemption + recompute; an optional LRU prefix cache over prompt blocks skips cached prefill.
//   - BlockingEngine: an Ollama-like server with N slots, a FIFO queue and no batching.
// server.ts owns sockets and real time; it calls advance(now) and writes the tokens the sink gets.

export interface EngineRequest {
  /** Unique per engine; the server's request number. */
  id: number;
  promptTokens: number;
  /** Tokens to generate (≥ 1). */
  outputTokens: number;
  /** Chained hashes of the prompt's full blocks (see prefix.ts); only the prefix cache reads them. */
  blockHashes?: readonly number[];
}

export interface EngineSink {
  /** Token `index` (0-based) of request `id` was generated at `atMs`; index outputTokens − 1 ends it. */
  token(id: number, index: number, atMs: number): void;
  /** Request `id` was scheduled for the first time at `atMs` (its queue time ends). */
  admitted?(id: number, atMs: number, cachedTokens: number): void;
}

export interface EngineGauges {
  running: number;
  waiting: number;
  /** KV-cache tokens held / budget, 0..1. */
  kvUsage: number;
}

export interface EngineCounters {
  /** Prompt tokens looked up in the prefix cache (vLLM's prefix_cache_queries). */
  prefixQueryTokens: number;
  /** Of those, tokens found cached (vLLM's prefix_cache_hits). */
  prefixHitTokens: number;
  /** Requests looked up / requests that found at least one cached block. */
  prefixQueryRequests: number;
  prefixHitRequests: number;
  preemptions: number;
  steps: number;
  /** Prompt tokens actually prefilled (recompute after preemption included). */
  prefilledTokens: number;
}

export interface Engine {
  /** False when the request can never fit (its KV need exceeds the whole budget): reject it. */
  fits(promptTokens: number, outputTokens: number): boolean;
  /** Call advance(nowMs) first, so the request joins at the next step boundary after nowMs. */
  submit(req: EngineRequest, nowMs: number): void;
  /** Drops a request wherever it is (client gone) and frees what it held. */
  cancel(id: number, nowMs: number): void;
  /** When the next token(s) come out; null when idle. */
  nextEventAtMs(): number | null;
  /** Completes every step or token due at or before nowMs, in time order, telling the sink. */
  advance(nowMs: number): void;
  gauges(): EngineGauges;
  readonly counters: EngineCounters;
}

/** Cost model and limits shared by both engines. All times in milliseconds. */
export interface EngineParams {
  /** Fixed cost of one forward step (weights read once per step). */
  decodeBaseMs: number;
  /** Added per sequence decoded in the step. */
  decodePerSeqMs: number;
  /** Added per 1,000 context tokens of the decoded sequences (reading their KV cache). */
  decodePerKContextMs: number;
  /** Prefill cost per prompt token computed. */
  prefillMsPerToken: number;
  /** Most prompt tokens prefilled in one step (vLLM's max_num_batched_tokens); a longer prompt takes several steps. */
  prefillChunkTokens: number;
  /**
   * Most prompt tokens one sequence may prefill in a step (vLLM's long_prefill_token_threshold);
   * 0: no cap. A cap leaves room in every step for short prompts behind a long one.
   */
  longPrefillTokens: number;
  /** Most sequences running at once (vLLM's max_num_seqs). */
  maxRunningSeqs: number;
  /** KV-cache capacity in tokens. */
  kvBudgetTokens: number;
  /**
   * true: admit on the prompt's KV and grow by a token per step, preempting the newest running
   * sequence (recompute later) when the cache is full — vLLM's policy. false: reserve prompt + full
   * output at admission, so nothing is ever preempted (TGI-like), at the cost of fewer running.
   */
  preemption: boolean;
  /** Prefix cache on (the prefix-cache profile). */
  prefixCache: boolean;
  /** Prefix-cache capacity in blocks. */
  prefixCacheBlocks: number;
  /** Words per prefix-cache block (vLLM's block_size, in the simulator's word-tokens). */
  blockTokens: number;
}

interface Seq {
  req: EngineRequest;
  arrivedAtMs: number;
  admitted: boolean;
  /** Tokens whose KV has been computed in the current residency. */
  computed: number;
  /** Tokens that must be computed before decoding: the prompt, plus tokens generated before a preemption. */
  target: number;
  /** Tokens handed to the client. */
  generated: number;
  /** KV tokens this sequence holds. */
  kv: number;
  /** Tokens scheduled for this sequence in the step in flight (0: not in it). */
  stepTokens: number;
  /** Whether the step in flight decodes it (one token) rather than prefilling. */
  stepDecode: boolean;
}

/** A set of block hashes in least-recently-used order (Map keeps insertion order). */
export class LruBlocks {
  private readonly map = new Map<number, true>();
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  /** How many leading hashes are cached; touches them. */
  matchPrefix(hashes: readonly number[]): number {
    let n = 0;
    for (const h of hashes) {
      if (!this.map.has(h)) break;
      this.map.delete(h);
      this.map.set(h, true);
      n++;
    }
    return n;
  }

  insert(hashes: readonly number[]): void {
    for (const h of hashes) {
      this.map.delete(h);
      this.map.set(h, true);
    }
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as number;
      this.map.delete(oldest);
    }
  }
}

const newCounters = (): EngineCounters => ({
  prefixQueryTokens: 0,
  prefixHitTokens: 0,
  prefixQueryRequests: 0,
  prefixHitRequests: 0,
  preemptions: 0,
  steps: 0,
  prefilledTokens: 0,
});

export class ContinuousEngine implements Engine {
  readonly counters = newCounters();
  private readonly waiting: Seq[] = [];
  /** In admission order: the last is the first preempted. */
  private running: Seq[] = [];
  private readonly byId = new Map<number, Seq>();
  private readonly cache: LruBlocks | null;
  private kvUsed = 0;
  /** The step in flight: its end, or null when idle. */
  private stepEndMs: number | null = null;

  constructor(
    readonly params: EngineParams,
    private readonly sink: EngineSink,
  ) {
    this.cache = params.prefixCache ? new LruBlocks(params.prefixCacheBlocks) : null;
  }

  fits(promptTokens: number, outputTokens: number): boolean {
    const need = this.params.preemption ? promptTokens + 1 : promptTokens + outputTokens;
    return need <= this.params.kvBudgetTokens;
  }

  submit(req: EngineRequest, nowMs: number): void {
    const seq: Seq = {
      req, arrivedAtMs: nowMs, admitted: false, computed: 0, target: req.promptTokens, generated: 0, kv: 0, stepTokens: 0, stepDecode: false,
    };
    this.byId.set(req.id, seq);
    this.waiting.push(seq);
    if (this.stepEndMs === null) this.startStep(nowMs);
  }

  cancel(id: number, nowMs: number): void {
    const seq = this.byId.get(id);
    if (seq === undefined) return;
    this.byId.delete(id);
    const w = this.waiting.indexOf(seq);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(seq);
    if (r >= 0) {
      this.running.splice(r, 1);
      this.kvUsed -= seq.kv;
    }
    // A step in flight still completes (its cost is spent); the sequence just gets nothing from it.
    seq.stepTokens = 0;
    if (this.stepEndMs === null && this.waiting.length > 0) this.startStep(nowMs);
  }

  nextEventAtMs(): number | null {
    return this.stepEndMs;
  }

  advance(nowMs: number): void {
    while (this.stepEndMs !== null && this.stepEndMs <= nowMs) {
      const endMs = this.stepEndMs;
      this.stepEndMs = null;
      this.finishStep(endMs);
      this.startStep(endMs);
    }
  }

  gauges(): EngineGauges {
    return { running: this.running.length, waiting: this.waiting.length, kvUsage: this.kvUsed / this.params.kvBudgetTokens };
  }

  /** Composes the step that starts at `atMs` (decodes first, then prefill chunks, then admissions) and prices it. */
  private startStep(atMs: number): void {
    const p = this.params;
    let budget = p.prefillChunkTokens;
    const perSeqCap = p.longPrefillTokens > 0 ? p.longPrefillTokens : Infinity;
    let decodes = 0;
    let contextTokens = 0;
    let prefillTokens = 0;

    // Decodes: one token each, growing the KV cache by one (preempting the newest when it is full).
    if (p.preemption) {
      while (this.running.length > 0) {
        let decoding = 0;
        for (const s of this.running) if (s.computed >= s.target) decoding++;
        if (this.kvUsed + decoding <= p.kvBudgetTokens) break;
        this.preempt();
      }
    }
    for (const s of this.running) {
      if (s.computed >= s.target) {
        s.stepDecode = true;
        s.stepTokens = 1;
        if (p.preemption) {
          s.kv++;
          this.kvUsed++;
        }
        decodes++;
        contextTokens += s.computed;
      }
    }
    // Prefills under way: the next chunk of each, while the step's token budget lasts.
    for (const s of this.running) {
      if (s.computed < s.target && budget > 0) {
        const chunk = Math.min(s.target - s.computed, budget, perSeqCap);
        s.stepDecode = false;
        s.stepTokens = chunk;
        budget -= chunk;
        prefillTokens += chunk;
      }
    }
    // Admissions, FIFO: a head that does not fit blocks the queue (as vLLM's scheduler does).
    while (this.waiting.length > 0 && budget > 0 && this.running.length < p.maxRunningSeqs) {
      const s = this.waiting[0];
      const need = p.preemption ? s.target : s.target + (s.req.outputTokens - s.generated);
      if (this.kvUsed + need > p.kvBudgetTokens) break;
      this.waiting.shift();
      this.running.push(s);
      s.kv = need;
      this.kvUsed += need;
      s.computed = this.cachedTokens(s);
      if (!s.admitted) {
        s.admitted = true;
        this.sink.admitted?.(s.req.id, atMs, s.computed);
      }
      const chunk = Math.min(s.target - s.computed, budget, perSeqCap);
      s.stepDecode = false;
      s.stepTokens = chunk;
      budget -= chunk;
      prefillTokens += chunk;
    }
    if (decodes === 0 && prefillTokens === 0) return; // idle until the next submit
    this.counters.steps++;
    this.counters.prefilledTokens += prefillTokens;
    const costMs =
      p.decodeBaseMs +
      p.decodePerSeqMs * decodes +
      (p.decodePerKContextMs * contextTokens) / 1000 +
      p.prefillMsPerToken * prefillTokens;
    this.stepEndMs = atMs + costMs;
  }

  private finishStep(atMs: number): void {
    // Iterate over a copy: finishing removes from running.
    for (const s of [...this.running]) {
      if (s.stepTokens === 0) continue;
      const tokens = s.stepTokens;
      s.stepTokens = 0;
      s.computed += tokens;
      // A decode step, or the step that completes a prefill, samples the next token.
      if (s.stepDecode || s.computed >= s.target) {
        if (!s.stepDecode) this.cacheInsert(s);
        const index = s.generated++;
        if (s.generated >= s.req.outputTokens) this.finish(s);
        this.sink.token(s.req.id, index, atMs);
      }
    }
  }

  private finish(s: Seq): void {
    this.running.splice(this.running.indexOf(s), 1);
    this.kvUsed -= s.kv;
    this.byId.delete(s.req.id);
  }

  /** Recompute preemption: the newest running sequence loses its KV and waits at the head of the queue. */
  private preempt(): void {
    const s = this.running.pop()!;
    this.kvUsed -= s.kv;
    s.kv = 0;
    s.computed = 0;
    s.stepTokens = 0;
    // Its prompt and the tokens it already produced must be computed again.
    s.target = s.req.promptTokens + s.generated;
    this.waiting.unshift(s);
    this.counters.preemptions++;
  }

  /** Prompt tokens found in the prefix cache; at least one token is always computed (it yields the logits). */
  private cachedTokens(s: Seq): number {
    if (this.cache === null) return 0;
    const blocks = this.cache.matchPrefix(s.req.blockHashes ?? []);
    const cached = Math.max(0, Math.min(blocks * this.params.blockTokens, s.target - 1));
    // Counted once per request, on its first admission (a recompute after preemption is not a query).
    if (!s.admitted) {
      this.counters.prefixQueryTokens += s.req.promptTokens;
      this.counters.prefixHitTokens += cached;
      this.counters.prefixQueryRequests++;
      if (cached > 0) this.counters.prefixHitRequests++;
    }
    return cached;
  }

  private cacheInsert(s: Seq): void {
    if (this.cache !== null && s.req.blockHashes !== undefined) this.cache.insert(s.req.blockHashes);
  }
}

/**
 * N independent slots and a FIFO queue; a slot serves one request start to end: first token after
 * base + prefill of the whole prompt, then one token per single-sequence decode step. No batching.
 */
export class BlockingEngine implements Engine {
  readonly counters = newCounters();
  private readonly waiting: { req: EngineRequest; arrivedAtMs: number }[] = [];
  private readonly slots: ({ req: EngineRequest; next: number; nextAtMs: number } | null)[];

  constructor(
    readonly params: EngineParams,
    slots: number,
    private readonly sink: EngineSink,
  ) {
    this.slots = new Array(slots).fill(null);
  }

  fits(promptTokens: number, outputTokens: number): boolean {
    return promptTokens + outputTokens <= this.params.kvBudgetTokens;
  }

  submit(req: EngineRequest, nowMs: number): void {
    this.waiting.push({ req, arrivedAtMs: nowMs });
    this.fill(nowMs);
  }

  cancel(id: number, nowMs: number): void {
    const w = this.waiting.findIndex((x) => x.req.id === id);
    if (w >= 0) this.waiting.splice(w, 1);
    const s = this.slots.findIndex((x) => x?.req.id === id);
    if (s >= 0) {
      this.slots[s] = null;
      this.fill(nowMs);
    }
  }

  nextEventAtMs(): number | null {
    let min: number | null = null;
    for (const s of this.slots) if (s !== null && (min === null || s.nextAtMs < min)) min = s.nextAtMs;
    return min;
  }

  advance(nowMs: number): void {
    for (;;) {
      let k = -1;
      for (let i = 0; i < this.slots.length; i++) {
        const s = this.slots[i];
        if (s !== null && s.nextAtMs <= nowMs && (k < 0 || s.nextAtMs < this.slots[k]!.nextAtMs)) k = i;
      }
      if (k < 0) return;
      const s = this.slots[k]!;
      const atMs = s.nextAtMs;
      const index = s.next++;
      this.counters.steps++;
      if (s.next >= s.req.outputTokens) {
        this.slots[k] = null;
        this.fill(atMs);
      } else {
        s.nextAtMs = atMs + this.decodeMs(s.req.promptTokens + s.next);
      }
      this.sink.token(s.req.id, index, atMs);
    }
  }

  gauges(): EngineGauges {
    let kv = 0;
    let running = 0;
    for (const s of this.slots) {
      if (s === null) continue;
      running++;
      kv += s.req.promptTokens + s.next;
    }
    return { running, waiting: this.waiting.length, kvUsage: kv / this.params.kvBudgetTokens };
  }

  private decodeMs(contextTokens: number): number {
    const p = this.params;
    return p.decodeBaseMs + p.decodePerSeqMs + (p.decodePerKContextMs * contextTokens) / 1000;
  }

  private fill(atMs: number): void {
    for (let i = 0; i < this.slots.length && this.waiting.length > 0; i++) {
      if (this.slots[i] !== null) continue;
      const { req } = this.waiting.shift()!;
      this.sink.admitted?.(req.id, atMs, 0);
      this.counters.prefilledTokens += req.promptTokens;
      const prefillMs = this.params.prefillMsPerToken * req.promptTokens;
      this.slots[i] = { req, next: 0, nextAtMs: atMs + prefillMs + this.decodeMs(req.promptTokens) };
    }
  }
}
