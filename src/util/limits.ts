// Upper bounds of every count and size a user can give (workload file, trace, flags). Without them an
// absurd value (concurrency 1e9, prompt_tokens 1e12) passed validation and then pinned the CPU or
// crashed V8 mid-run; with them it is refused before anything is sent, naming the field and the bound.
// The README's "Limits" table lists these; raise one here (and there) if a real setup needs more.

/** Tokens of one length: prompt_tokens, output_tokens, the prefixes, tool results, a trace row. About
 * twice the longest contexts served today; a 2M-token prompt synthesises in ~0.3 s and is ~12 MB. */
export const MAX_TOKENS = 2_000_000;
/** In flight at once, summed over every shard and worker: concurrency, max_concurrency, --concurrency. */
export const MAX_CONCURRENCY = 100_000;
/** Open-loop arrival rate (req/s) of a phase, summed over shards: rate, ramp.from/to, --rate. */
export const MAX_RATE_RPS = 100_000;
/** Requests of one phase (requests, --requests). */
export const MAX_REQUESTS = 1_000_000_000;
/** Any duration (phase duration, think time, time limits, --drain…): 7 days, well under the ~24.8 days
 * past which Node's timers fire at once instead of late. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
/** User turns of one conversation (session.turns): each turn resends the whole conversation. */
export const MAX_TURNS = 1_000;
/** Think time between turns. */
export const MAX_THINK_MS = 3_600_000;
/** Classes and phases of one workload. */
export const MAX_CLASSES = 1_000;
export const MAX_PHASES = 1_000;
/** Tools of one class (the OpenAI API's own limit). */
export const MAX_TOOLS = 128;
/** The workload file itself: it is read whole and parsed in memory. */
export const MAX_WORKLOAD_FILE_BYTES = 16 * 1024 * 1024;

/** "2,000,000": bounds are printed as people read them. */
export function formatBound(n: number): string {
  return n.toLocaleString('en-US');
}

/** The one wording every bound check of a flag uses: `<flag>: at most <bound>, got <value>; …`. */
export function tooLarge(what: string, bound: string, got: unknown): string {
  return `${what}: at most ${bound}, got ${String(got)}; lower it (see "Limits" in the README)`;
}

// Flags only (the workload file has no such fields).
/** --workers: processes on one machine. */
export const MAX_WORKERS = 256;
/** --max-retries per request. */
export const MAX_RETRIES = 100;
/** --max-event-bytes: one SSE event is held whole as a string; V8 strings stop near 512 MiB. */
export const MAX_EVENT_BYTES = 256 * 1024 * 1024;
/** sweep --max-steps. */
export const MAX_SWEEP_STEPS = 1_000;
