// The open loop's look-ahead: the next few arrivals of this process (request index, offset from the
// phase start) read ahead of the pacer, and their bodies built ahead of their due times, one body per
// slice, in the slack between sends. Building a body (prompt synthesis, tokenization, serialisation)
// is the measuring loop's longest task; done just before a send it made that send late, and a stream
// whose chunk arrived meanwhile was stamped late. Bounded: at most `size` arrivals (and bodies) are held.
import type { RequestPlan } from '../workload/plan.js';

/** Arrivals read ahead of the pacer, bodies included: enough to cover a burst, small enough for the heap. */
export const DEFAULT_LOOKAHEAD = 64;

/** Body text held ahead at most (characters): long-context bodies of hundreds of KB stop the look-ahead early. */
export const MAX_HELD_BODY_CHARS = 8 * 1024 * 1024;

export interface Arrival {
  /** The request's index within its phase. */
  index: number;
  /** Intended send time, ms from the phase's start. */
  offsetMs: number;
  /** Its body when already built; null when the look-ahead had no slack for it yet. */
  plan: RequestPlan | null;
}

export class Lookahead {
  private readonly index: Float64Array;
  private readonly offset: Float64Array;
  private readonly plans: (RequestPlan | null)[];
  private head = 0;
  /** Arrivals held. */
  size = 0;
  /** Of the held arrivals, how many (from the head) have their body built. */
  built = 0;
  /** Arrivals read from the source so far, every shard's included (the next one's index). */
  read = 0;
  private done = false;
  /** Characters of the bodies built and not yet handed out. */
  private heldChars = 0;
  private readonly source: Iterator<number>;

  constructor(
    offsetsMs: Iterable<number>,
    /** Is request i this process's to send (its shard)? Others are skipped unread by the pacer. */
    private readonly mine: (index: number) => boolean,
    private readonly build: (index: number) => RequestPlan,
    readonly capacity: number = DEFAULT_LOOKAHEAD,
  ) {
    if (!(capacity >= 1)) throw new Error(`Lookahead: capacity must be at least 1, got ${capacity}`);
    this.source = offsetsMs[Symbol.iterator]();
    this.index = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.plans = new Array<RequestPlan | null>(capacity).fill(null);
  }

  /** No arrival is held and the source has no more. */
  get exhausted(): boolean {
    this.top();
    return this.size === 0 && this.done;
  }

  /** Bodies still to build among the held arrivals (plus room to read more). */
  get pending(): boolean {
    this.top();
    return this.built < this.size && this.heldChars < MAX_HELD_BODY_CHARS;
  }

  /** Builds the next unbuilt body (in arrival order); false when every held arrival has one. */
  buildOne(): boolean {
    if (!this.pending) return false;
    const at = (this.head + this.built) % this.capacity;
    const plan = this.build(this.index[at]);
    this.plans[at] = plan;
    this.heldChars += plan.body.length;
    this.built++;
    return true;
  }

  /**
   * Builds up to `n` bodies at once (before a phase's clock starts: the first bodies ready), for at
   * most `budgetMs` of `now()` time, so a long-context phase does not wait seconds to start.
   */
  prefill(n: number = this.capacity, now: () => number = () => 0, budgetMs = Infinity): number {
    const t0 = now();
    let k = 0;
    while (k < n && now() - t0 < budgetMs && this.buildOne()) k++;
    return k;
  }

  /** The next arrival, its body with it when built; null when the phase has no more. */
  shift(): Arrival | null {
    this.top();
    if (this.size === 0) return null;
    const at = this.head;
    const a: Arrival = { index: this.index[at], offsetMs: this.offset[at], plan: this.plans[at] };
    if (a.plan) this.heldChars -= a.plan.body.length;
    this.plans[at] = null;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    if (this.built > 0) this.built--;
    return a;
  }

  /** Reads offsets from the source until the ring is full (cheap: numbers, no bodies). */
  private top(): void {
    while (!this.done && this.size < this.capacity) {
      const r = this.source.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const i = this.read++;
      if (!this.mine(i)) continue;
      const at = (this.head + this.size) % this.capacity;
      this.index[at] = i;
      this.offset[at] = r.value;
      this.plans[at] = null;
      this.size++;
    }
  }
}
