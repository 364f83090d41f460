// Simulator faults (pure): which fault, if any, a request gets. Deterministic schedules (`every`)
// count generation requests; rates draw from a seeded rng, one draw per rate-based fault per
// request whether or not an earlier fault already fired, so one fault's schedule does not shift
// another's. The first fault that fires, in configuration order, wins. server.ts acts it out.
import type { FaultSpec } from './config.js';

export type FaultAction =
  | { type: 'http_500' | 'http_429' | 'loading_503' | 'reset' }
  | { type: 'slow_first_byte'; delayMs: number }
  | { type: 'cut' | 'stream_error' | 'malformed'; atToken: number }
  | { type: 'stall'; atToken: number; stallMs: number };

/** Faults that act after some tokens; a request with too few tokens (or not streamed) is spared. */
export const MID_STREAM = new Set(['cut', 'stream_error', 'malformed', 'stall']);

export class FaultPicker {
  constructor(
    private readonly faults: readonly FaultSpec[],
    private readonly rng: () => number,
  ) {}

  /**
   * `requestNumber` is 1-based over generation requests; `sinceStartMs` is the time since the
   * server started; `outputTokens` is what the request will generate; `stream` whether it streams.
   */
  pick(requestNumber: number, sinceStartMs: number, outputTokens: number, stream: boolean): FaultAction | null {
    let chosen: FaultAction | null = null;
    for (const f of this.faults) {
      let fires: boolean;
      if (f.type === 'loading_503') fires = sinceStartMs < (f.seconds ?? 0) * 1000;
      else {
        const drawn = f.rate !== undefined ? this.rng() < f.rate : false;
        const scheduled = f.every !== undefined && requestNumber % f.every === 0;
        fires = drawn || scheduled;
      }
      if (!fires || chosen !== null) continue;
      const action = toAction(f, outputTokens, stream);
      if (action !== null) chosen = action;
    }
    return chosen;
  }
}

function toAction(f: FaultSpec, outputTokens: number, stream: boolean): FaultAction | null {
  switch (f.type) {
    case 'http_500':
    case 'http_429':
    case 'loading_503':
    case 'reset':
      return { type: f.type };
    case 'slow_first_byte':
      return { type: 'slow_first_byte', delayMs: (f.seconds ?? 0) * 1000 };
    default: {
      // Mid-stream: headers must be out first (token ≥ 1) and a token must remain after it.
      const atToken = f.atToken ?? Math.max(1, Math.floor(outputTokens / 2));
      if (!stream || atToken >= outputTokens) return null;
      if (f.type === 'stall') return { type: 'stall', atToken, stallMs: (f.seconds ?? 0) * 1000 };
      return { type: f.type, atToken };
    }
  }
}
