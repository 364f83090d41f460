// Flag values whose meaning is easy to get wrong: the three request time limits and --duration.
// A 0 used to mean three different things (--timeout-ttfb/-idle 0s: no limit; --timeout-total 0s:
// every request fails at once; --duration 0s: a run that sends nothing), so 0 is refused and a limit
// is turned off only by the word `off`, the same for all three.
import { parseDurationMs, usageError } from '../util/errors.js';

/** The client's value of a time limit that is off (undici reads 0 as "no timeout"). */
export const TIMEOUT_OFF = 0;

/** --timeout-ttfb/-idle/-total: a positive duration, or `off`. */
export function parseTimeoutFlag(value: string, flag: string): number {
  if (value.trim().toLowerCase() === 'off') return TIMEOUT_OFF;
  const ms = parseDurationMs(value, flag);
  if (ms <= 0) throw usageError(`${flag}: ${value} would fail or never time out; give a positive limit such as 30s, or "off" to turn the limit off`);
  return ms;
}

/** --duration: a positive length (0 would run a phase that sends nothing). */
export function parseRunDurationMs(value: string, flag = '--duration'): number {
  const ms = parseDurationMs(value, flag);
  if (ms <= 0) throw usageError(`${flag}: ${value} runs nothing; give a positive length such as 30s, or --requests N to stop after N requests`);
  return ms;
}

/** The signals a run or sweep stops on (drain, write, mark interrupted): Ctrl-C, a service manager's
 * stop, and a closed terminal or SSH session (SIGHUP used to kill the run with nothing written). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
