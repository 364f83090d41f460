// The pairing sink: both sides' Drivers push their finished requests here; request i of A and request
// i of B (same phase, same planned index, same conversation turn) form a pair. Per request it keeps a
// few numbers and a short hash of the body (model field aside), so the fairness checks can say
// whether both sides got the same requests and how far apart their sends were.
import { createHash } from 'node:crypto';
import type { RequestRecord } from '../client/record.js';
import type { RequestOutcome } from '../client/openai.js';
import type { RunSink } from '../driver/sink.js';
import type { Pair, PairSide } from '../report/paired.js';
import type { PhasePlan } from '../schedule/phases.js';
import type { RequestPlan } from '../workload/plan.js';
import type { Side } from './schedule.js';

interface Kept extends PairSide {
  sentAtMs: number;
  bodyHash: string;
}

/** Which request of the experiment a plan is: phase, planned index, conversation position. */
export function pairKey(plan: RequestPlan): string {
  const c = plan.conversation;
  return `${plan.phaseIndex}/${plan.requestIndex}${c ? `/${c.turn}${c.toolFollowUp ? 't' : ''}` : ''}`;
}

/** The body's hash without its model field: two engines serve different model names for the same request. */
export function bodyHash(body: string): string {
  let text = body;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    delete json.model;
    text = JSON.stringify(json);
  } catch {
    // not JSON: hash it as sent
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export interface PairingFacts {
  pairs: Pair[];
  unpaired: { a: number; b: number };
  bodyMismatches: number;
  bodiesSha256: { a: string; b: string };
  /** |sent A − sent B| per pair, ms. */
  skewsMs: number[];
}

export class Pairing {
  private readonly kept: Record<Side, Map<string, Kept>> = { a: new Map(), b: new Map() };
  private readonly recording: Record<Side, boolean> = { a: false, b: false };

  /** The sink of one side's Driver: keeps the requests of recorded phases (warm-up ones are not paired). */
  sink(side: Side): RunSink {
    return {
      phaseStart: (phase: PhasePlan) => {
        this.recording[side] = phase.record;
      },
      record: (r: RequestRecord, _outcome: RequestOutcome, plan: RequestPlan) => {
        if (!this.recording[side]) return;
        this.kept[side].set(pairKey(plan), {
          ok: r.status === 'ok', ttftMs: r.ttftMs, tpotMs: r.tpotMs, e2eMs: r.e2eMs, queueMs: r.queueMs, outputTokens: r.outputTokens,
          valid: r.validity === null ? null : r.validity === 'valid', sentAtMs: r.sentAtMs, bodyHash: bodyHash(plan.body),
        });
      },
    };
  }

  /** Pairs in A's completion order, with what the fairness checks need. */
  facts(): PairingFacts {
    const pairs: Pair[] = [];
    const skewsMs: number[] = [];
    let bodyMismatches = 0;
    const hashA = createHash('sha256');
    const hashB = createHash('sha256');
    const keys = [...this.kept.a.keys()].filter((k) => this.kept.b.has(k)).sort(byKey);
    for (const k of keys) {
      const a = this.kept.a.get(k) as Kept;
      const b = this.kept.b.get(k) as Kept;
      pairs.push({ a, b });
      skewsMs.push(Math.abs(a.sentAtMs - b.sentAtMs));
      if (a.bodyHash !== b.bodyHash) bodyMismatches++;
      hashA.update(a.bodyHash);
      hashB.update(b.bodyHash);
    }
    return {
      pairs,
      unpaired: { a: this.kept.a.size - keys.length, b: this.kept.b.size - keys.length },
      bodyMismatches,
      bodiesSha256: { a: hashA.digest('hex'), b: hashB.digest('hex') },
      skewsMs,
    };
  }
}

/** Keys in plan order (phase, index, turn): the hashes over the bodies then follow the planned order. */
function byKey(x: string, y: string): number {
  const a = x.split('/');
  const b = y.split('/');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (parseInt(a[i] ?? '0', 10) || 0) - (parseInt(b[i] ?? '0', 10) || 0);
    if (d !== 0) return d;
    if ((a[i] ?? '') !== (b[i] ?? '')) return (a[i] ?? '') < (b[i] ?? '') ? -1 : 1;
  }
  return 0;
}
