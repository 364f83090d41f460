// The pairing sink: both sides' Drivers push their finished requests here; request i of A and request
// i of B (same phase, same planned index, same conversation turn) form a pair. Per request it keeps a
// few numbers in typed arrays and a short hash of the body (model field aside), so the fairness checks
// can say whether both sides got the same requests and how far apart their sends were.
import { createHash } from 'node:crypto';
import type { RequestRecord } from '../client/record.js';
import type { RequestOutcome } from '../client/openai.js';
import type { RunSink } from '../driver/sink.js';
import type { Pair, PairSide } from '../report/paired.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { RequestPlan } from '../workload/plan.js';
import type { Side } from './schedule.js';

/** Which request of the experiment a plan is: phase, planned index, conversation position. */
export function pairKey(plan: RequestPlan): string {
  const c = plan.conversation;
  return `${plan.phaseIndex}/${plan.requestIndex}${c ? `/${c.turn}${c.toolFollowUp ? 't' : ''}` : ''}`;
}

/** The body's hash (52 bits, a number) without its model field: two engines serve different model names for the same request. */
export function bodyHash(body: string): number {
  let text = body;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    delete json.model;
    text = JSON.stringify(json);
  } catch {
    // not JSON: hash it as sent
  }
  return parseInt(createHash('sha256').update(text).digest('hex').slice(0, 13), 16);
}

export interface PairingFacts {
  pairs: Pair[];
  unpaired: { a: number; b: number };
  bodyMismatches: number;
  bodiesSha256: { a: string; b: string };
  /** |sent A − sent B| per pair, ms. */
  skewsMs: number[];
}

/** A request's place as one number: phase (< 4096), planned index (< 2^30), turn (< 1024), tool follow-up. */
export function pairNumber(plan: RequestPlan): number {
  const c = plan.conversation;
  return ((plan.phaseIndex * 2 ** 30 + plan.requestIndex) * 1024 + (c ? c.turn : 0)) * 2 + (c?.toolFollowUp ? 1 : 0);
}

const COLUMNS = 7; // ttft, tpot, e2e, queue, output tokens, sent at, body hash (52 bits)

/**
 * One side's kept requests, column-wise in growable typed arrays (an hour at 100 req/s is 360,000
 * requests a side: a few numbers each, not an object each, so the measuring process's heap stays small).
 */
class SideStore {
  readonly slots = new Map<number, number>();
  private values = new Float64Array(1024 * COLUMNS);
  private flags = new Uint8Array(1024);

  add(key: number, r: RequestRecord, hash: number): void {
    const slot = this.slots.size;
    if (this.slots.has(key)) return; // the same request twice (cannot happen): keep the first
    if (slot >= this.flags.length) this.grow();
    this.slots.set(key, slot);
    const o = slot * COLUMNS;
    const v = this.values;
    v[o] = r.ttftMs ?? NaN;
    v[o + 1] = r.tpotMs ?? NaN;
    v[o + 2] = r.e2eMs ?? NaN;
    v[o + 3] = r.queueMs;
    v[o + 4] = r.outputTokens ?? NaN;
    v[o + 5] = r.sentAtMs;
    v[o + 6] = hash;
    this.flags[slot] = (r.status === 'ok' ? 1 : 0) | (r.validity !== null ? 2 : 0) | (r.validity === 'valid' ? 4 : 0);
  }

  side(slot: number): PairSide {
    const o = slot * COLUMNS;
    const v = this.values;
    const f = this.flags[slot];
    const num = (x: number) => (Number.isNaN(x) ? null : x);
    return { ok: (f & 1) !== 0, ttftMs: num(v[o]), tpotMs: num(v[o + 1]), e2eMs: num(v[o + 2]), queueMs: v[o + 3], outputTokens: num(v[o + 4]), valid: f & 2 ? (f & 4) !== 0 : null };
  }

  sentAtMs(slot: number): number {
    return this.values[slot * COLUMNS + 5];
  }

  hash(slot: number): number {
    return this.values[slot * COLUMNS + 6];
  }

  private grow(): void {
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.values = values;
    const flags = new Uint8Array(this.flags.length * 2);
    flags.set(this.flags);
    this.flags = flags;
  }
}

export class Pairing {
  private readonly kept: Record<Side, SideStore> = { a: new SideStore(), b: new SideStore() };
  private readonly recording: Record<Side, boolean> = { a: false, b: false };

  /** The sink of one side's Driver: keeps the requests of recorded phases (warm-up ones are not paired). */
  sink(side: Side): RunSink {
    return {
      phaseStart: (phase: PhasePlan) => {
        this.recording[side] = phase.record;
      },
      record: (r: RequestRecord, _outcome: RequestOutcome, plan: RequestPlan) => {
        if (this.recording[side]) this.kept[side].add(pairNumber(plan), r, bodyHash(plan.body));
      },
    };
  }

  /** Pairs in planned order, with what the fairness checks need. */
  facts(): PairingFacts {
    const { a, b } = this.kept;
    const pairs: Pair[] = [];
    const skewsMs: number[] = [];
    let bodyMismatches = 0;
    const hashA = createHash('sha256');
    const hashB = createHash('sha256');
    const keys = [...a.slots.keys()].filter((k) => b.slots.has(k)).sort((x, y) => x - y);
    for (const k of keys) {
      const sa = a.slots.get(k) as number;
      const sb = b.slots.get(k) as number;
      pairs.push({ a: a.side(sa), b: b.side(sb) });
      skewsMs.push(Math.abs(a.sentAtMs(sa) - b.sentAtMs(sb)));
      if (a.hash(sa) !== b.hash(sb)) bodyMismatches++;
      hashA.update(a.hash(sa).toString(16));
      hashB.update(b.hash(sb).toString(16));
    }
    return {
      pairs,
      unpaired: { a: a.slots.size - keys.length, b: b.slots.size - keys.length },
      bodyMismatches,
      bodiesSha256: { a: hashA.digest('hex'), b: hashB.digest('hex') },
      skewsMs,
    };
  }
}
