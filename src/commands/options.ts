// Every command's options, declared once. Each declaration is typed (@commander-js/extra-typings), so a
// command's options type follows from it (RunFlags, SweepFlags, …) and a renamed flag fails to compile
// instead of arriving as undefined. Groups shared by several commands (credentials and client limits,
// request shaping, target, embedded simulator, output) are declared once and added to each command
// that takes them, so `run`, `sweep`, `ab` and `campaign` cannot drift apart.
import { Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { formatBound, MAX_CONCURRENCY, MAX_EVENT_BYTES, MAX_RATE_RPS, MAX_REQUESTS, MAX_RETRIES, MAX_SWEEP_STEPS, MAX_WORKERS, tooLarge } from '../util/limits.js';

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A whole number up to `max` (the counts' bounds live in util/limits.ts and the README's "Limits"). */
export const int =
  (name: string, max = Number.MAX_SAFE_INTEGER) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name}: expected a non-negative integer, got "${v}"`);
    if (n > max) throw new InvalidArgumentError(tooLarge(name, formatBound(max), v));
    return n;
  };

export const positive =
  (name: string, max = Number.MAX_VALUE) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name}: expected a positive number, got "${v}"`);
    if (n > max) throw new InvalidArgumentError(tooLarge(name, formatBound(max), v));
    return n;
  };

export const nonNegative =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name}: expected a number >= 0, got "${v}"`);
    return n;
  };

type Cmd<A extends unknown[], O extends OptionValues> = Command<A, O>;

/** Credentials, TLS and the client's limits: every command that talks to an endpoint (probe included). */
export function credentialOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--api-key-env <VAR>', 'send "Authorization: Bearer $VAR" (the key is read from the environment, never from argv)')
    .option('--api-key-file <path>', 'send "Authorization: Bearer <first line of the file>" (keeps the key out of argv and the environment)')
    .option('--header <"K: V">', 'extra request header (repeatable; values are redacted from results)', collect, [] as string[])
    .option('--insecure', 'do not verify TLS certificates (verification is on by default)', false)
    .option('--retry <statuses>', 'retry these HTTP statuses, e.g. 429,503 (off by default; retried attempts are counted apart)')
    .option('--max-retries <n>', 'retries per request with --retry (default 3)', int('--max-retries', MAX_RETRIES))
    .option('--max-event-bytes <n>', 'largest SSE event accepted; a larger one is a `malformed` error (default 16 MiB)', int('--max-event-bytes', MAX_EVENT_BYTES));
}

/** What shapes each measured request: labels, tokenizer, time limits, kept answer size (plus the credentials). */
export function requestOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return credentialOptions(cmd)
    .option('--label <k=v>', 'label the run (repeatable)', collect, [] as string[])
    .option('--tokenizer <tokenizer.json>', 'a Hugging Face tokenizer.json for exact prompt lengths (default: o200k_base)')
    .option('--timeout-ttfb <d>', 'limit on time to the response headers ("off": none)', '120s')
    .option('--timeout-idle <d>', 'limit on silence between chunks ("off": none)', '60s')
    .option('--timeout-total <d>', 'limit on a whole request ("off": none)', '600s')
    .option('--max-answer-bytes <n>', 'answer bytes kept per request for validation and conversations; a longer answer is read to its end, dropped and judged `too_large` (default 1 MiB)', int('--max-answer-bytes'));
}

/** The endpoint and the model; without --target, the embedded simulator and its settings. */
export function targetOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--target <url>', 'base URL of the endpoint, ending in /v1 (default: start the embedded simulator)')
    .option('--model <name>', "model to request (default: the workload's, else the first of /v1/models)")
    .option('--seed <n>', 'override the workload seed', int('--seed'))
    .addOption(new Option('--sim-profile <name>', 'embedded simulator profile: continuous-batching (default), prefix-cache, blocking, fixed (the default when --sim-ttft/--sim-itl/--sim-prefill-per-token are given)'))
    .option('--sim-config <sim.yaml>', 'embedded simulator settings file (engine parameters, faults, structured-output error rates; see docs/simulator.md)')
    .option('--sim-fault <spec>', 'embedded simulator fault, e.g. http_500:rate=0.05 or stall:every=10,seconds=5 (repeatable)', collect, [] as string[])
    .addOption(new Option('--sim-ttft <ms>', 'embedded simulator: base time to first token').argParser(positive('--sim-ttft')))
    .addOption(new Option('--sim-itl <ms>', 'embedded simulator: time between tokens').argParser(positive('--sim-itl')))
    .addOption(new Option('--sim-prefill-per-token <ms>', 'embedded simulator: extra TTFT per prompt token').argParser(nonNegative('--sim-prefill-per-token')))
    .addOption(new Option('--sim-reasoning <tokens>', 'embedded simulator: play a reasoning model, this many reasoning tokens before each answer (scaled by reasoning_effort)').argParser(int('--sim-reasoning')));
}

/** Where results go, how a stop drains, when the harness itself is too slow to trust, progress output. */
export function outputOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--out <dir>', 'directory for the result file', 'results')
    .option('--drain <d>', 'on Ctrl-C (or when a step stops), how long in-flight requests may finish before being cancelled', '10s')
    .option('--max-client-lag <d>', "the harness's own lag (event-loop delay p99, open-loop dispatch lag p99) past which the run is client-saturated and invalid (default 10ms; raise it knowingly on a shared runner)")
    .option('-q, --quiet', 'no progress output', false);
}

/** Watching a run while it goes: the live terminal view and the Prometheus endpoint (commands/live.ts). */
export function liveOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--live', 'full-screen live view on stderr (default: on when stderr is a terminal of at least 80×20 and CI is not set; the progress line otherwise)')
    .option('--no-live', 'the plain progress line instead of the live view')
    .option('--metrics-listen <[host:]port>', 'serve the live state in the Prometheus text format at http://HOST:PORT/metrics during the run (host 127.0.0.1 unless given; port 0 picks a free one)')
    .option('--linger <d>', 'with --metrics-listen: keep serving this long after the run ends, so the last scrape sees the end (e.g. 30s)');
}

/** The warm start before a measuring command's clock starts (commands/warm-start.ts). */
export function warmStartOption<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd.option(
    '--no-warm-start',
    'skip the warm start before the clock starts (connections opened up to the expected concurrency, at most 1,024, when the endpoint keeps them alive; the receive path run on synthetic streams; the first bodies built)',
  );
}

/** Load of one phase replacing the workload's: closed (--concurrency) or open (--rate), until --duration or --requests. */
export function loadOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--concurrency <n>', 'closed loop: replace the phases with one phase of N in flight', int('--concurrency', MAX_CONCURRENCY))
    .option('--rate <rps>', 'open loop: replace the phases with one Poisson phase at R req/s', positive('--rate', MAX_RATE_RPS))
    .option('--duration <d>', 'length of the --concurrency/--rate phase, e.g. 30s')
    .option('--requests <n>', 'request count of the --concurrency/--rate phase', int('--requests', MAX_REQUESTS));
}

/** SLO gates, goodput, baseline comparison and the gate outputs of a run. */
export function gateOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .option('--slo <expr>', "SLO gate, e.g. 'ttft.p95 < 500ms', 'error_rate < 1% class=rag', 'output_tps > 2000 phase=steady' (repeatable; exit 1 when one fails)", collect, [] as string[])
    .option('--goodput <criteria>', "per-request criteria of a good request, e.g. 'ttft<=500ms,tpot<=50ms': reports goodput and the good fraction per phase × class")
    .option('--baseline <result.json>', 'compare with this result (noise-aware); exit 2 on a regression past --fail-on')
    .option('--fail-on <thresholds>', "regression thresholds against --baseline, e.g. 'ttft.p95>+10%,error_rate>+0.5pp' (default: p95 TTFT/TPOT/E2E +10%, errors +0.5pp, output tok/s -10%)")
    .option('--abort-on-fail', 'stop the run early once an SLO on errors (error_rate < X%) can no longer hold', false)
    .option('--junit <file.xml>', 'write the gates as JUnit XML (one test case per SLO check and regression clause)')
    .option('--summary-md <file.md>', 'write a Markdown summary of the gates (also appended to $GITHUB_STEP_SUMMARY when set)');
}

export function runCli() {
  const cmd = warmStartOption(liveOptions(gateOptions(outputOptions(loadOptions(targetOptions(requestOptions(new Command('run'))))))))
    .description('run a workload against a target (or the embedded simulator when --target is omitted)')
    .argument('[workload]', 'workload file, or a name from workloads/ (default: mixed; with --trace, a plain chat workload)')
    .option('--trace <file>', 'replay a trace (CSV or JSONL: timestamp, input tokens, output tokens, optional class and session id; Azure and BurstGPT layouts accepted) as the only phase')
    .option('--speed <x>', 'time scale of a --trace replay: 2 replays twice as fast', positive('--speed'))
    .option('--workers <n>', 'run N processes, each sending its shard of the schedule, merged exactly (default: cores − 1, at least 1)', int('--workers', MAX_WORKERS))
    .option('--start-at <epochMs>', 'start the run clock at this wall-clock instant, epoch ms (what --workers passes its children; give every shard of a run the same one)', int('--start-at'))
    .option('--shard <i/N>', 'send only this shard of every phase (i, i+N, …); merge the shards with `loadshape merge`')
    .option('--start-barrier <dir>', 'with --shard: announce this shard in DIR (shared by all N shards, new per run) and start the clock when all have, at one instant')
    .option('--barrier-timeout <d>', 'how long --start-barrier waits for every shard before failing, naming the missing ones (default 10m)')
    .option('--records <file>', 'stream one JSON record per request to this .jsonl file')
    .option('--image-dir <dir>', "send these PNG/JPEG files (sampled by seed) as the image classes' images instead of synthetic ones")
    .option('--checkpoint <d>', 'write the result so far to <result>.checkpoint.json every interval of at least 1s, e.g. 30s (kill -9 then loses at most one interval)')
    .option('--wait-ready <d>', 'poll /health or /v1/models until the engine answers (e.g. 10m), record the time to ready and run a `cold` phase first')
    .option('--cold-requests <n>', 'requests of the `cold` phase after --wait-ready, one at a time (default 3)', int('--cold-requests', MAX_REQUESTS))
    .option('--recipe <recipe.yaml>', 'embed the serving recipe (engine, model, GPUs, flags, $ per GPU-hour) with its sha256')
    .option('--server-metrics <url>', 'scrape this Prometheus endpoint every second (repeatable; default: /metrics at the target root when it answers; "none" turns that off)', collect, [] as string[])
    .option('--server-metric <name>', 'also keep this metric from the scraped endpoints (repeatable)', collect, [] as string[])
    .option('--cost-per-hour <usd>', "serving cost in $ per hour (overrides the recipe's $ per GPU-hour × GPUs)", nonNegative('--cost-per-hour'));
  return cmd;
}
export type RunFlags = ReturnType<ReturnType<typeof runCli>['opts']>;

export function sweepCli() {
  return warmStartOption(liveOptions(outputOptions(targetOptions(requestOptions(new Command('sweep'))))))
    .description('find the highest load that holds the SLOs: baseline, throughput probe, grid and bisection; one phase per step in one result file')
    .argument('<workload>', 'workload file, or a name from workloads/')
    .option('--slo <expr>', "SLO bounding the search, e.g. 'ttft.p95 < 500ms', 'error_rate < 1%' (repeatable; adds to the workload's slo:)", collect, [] as string[])
    .option('--goodput <criteria>', "per-request criteria of a good request, e.g. 'ttft<=500ms' (for goodput SLOs)")
    .addOption(new Option('--by <model>', 'search open-loop arrival rate or closed-loop concurrency').choices(['rate', 'concurrency'] as const).default('rate' as const))
    .option('--json', 'print the answer as JSON (maxRateRps, maxOutputTps, slos, steps, classes)', false)
    .option('--step-duration <d>', 'longest a step runs (it ends earlier once steady or clearly saturated)', '60s')
    .option('--min-step-duration <d>', 'shortest a steady step runs (each refinement step near the boundary runs twice as long as the one before, up to --step-duration)', '10s')
    .option('--steady-window <d>', 'rolling window of the steady-state check: two consecutive windows must agree', '3s')
    .option('--min-step-requests <n>', 'completions a step needs before it may be called steady', int('--min-step-requests', MAX_REQUESTS), 30)
    .option('--max-steps <n>', 'steps in all, baseline and probe included', int('--max-steps', MAX_SWEEP_STEPS), 12)
    .option('--probe-concurrency <n>', 'in-flight requests of the throughput probe', int('--probe-concurrency', MAX_CONCURRENCY), 64)
    .option('--tolerance <f>', 'stop refining when the boundary is known within this fraction (the load reported is then run again to confirm it)', positive('--tolerance'), 0.05);
}
export type SweepFlags = ReturnType<ReturnType<typeof sweepCli>['opts']>;

/** One endpoint's side of `ab`: its URL, model, labels, headers and key (the shared forms apply to both sides). */
function sideOptions<A extends unknown[], O extends OptionValues>(cmd: Cmd<A, O>) {
  return cmd
    .requiredOption('--a <url>', 'side A (the incumbent): base URL ending in /v1')
    .requiredOption('--b <url>', 'side B (the candidate): base URL ending in /v1')
    .option('--a-model <name>', "side A's model (default: the workload's, else A's first model)")
    .option('--b-model <name>', "side B's model (default: the workload's, else B's first model)")
    .option('--a-label <k=v>', 'label of side A (repeatable; default side=a)', collect, [] as string[])
    .option('--b-label <k=v>', 'label of side B (repeatable; default side=b)', collect, [] as string[])
    .option('--a-header <"K: V">', 'extra request header for side A only (repeatable)', collect, [] as string[])
    .option('--b-header <"K: V">', 'extra request header for side B only (repeatable)', collect, [] as string[])
    .option('--a-api-key-env <VAR>', 'side A sends "Authorization: Bearer $VAR" (instead of --api-key-env)')
    .option('--b-api-key-env <VAR>', 'side B sends "Authorization: Bearer $VAR" (instead of --api-key-env)');
}

export function abCli() {
  return warmStartOption(outputOptions(loadOptions(sideOptions(requestOptions(new Command('ab'))))))
    .description('paired A/B experiment: the same requests to two endpoints, judged pair by pair (B − A)')
    .argument('<workload>', 'workload file, or a name from workloads/')
    .option('--seed <n>', 'override the workload seed (both sides get the same requests)', int('--seed'))
    .addOption(new Option('--mode <mode>', 'mirrored: both sides at once (separate hardware); interleaved: rounds A B B A … (one shared GPU)').choices(['mirrored', 'interleaved'] as const).default('mirrored' as const))
    .option('--rounds <n>', 'interleaved: rounds in all, even (default 4): the requests are cut into rounds/2 blocks, each run on A and on B', int('--rounds', MAX_REQUESTS))
    .option('--between <cmd>', 'interleaved: shell command run before a round whose side changes (gets the side in $LOADSHAPE_SIDE); its exit status is checked')
    .option('--wait-ready <d>', 'interleaved: longest wait for the side about to run to answer after --between', '10m')
    .option('--fail-on <thresholds>', "exit 2 when B is worse than A beyond noise past a bound, e.g. 'tpot.p50>+5%,ttft.p95>+10%,error_rate>+0.5pp'")
    .option('--records <file>', 'stream one JSON record per request (with its side and pair) to this .jsonl file')
    .option('--junit <file.xml>', 'write the checks as JUnit XML (both sides reachable and valid, same bodies, one case per --fail-on clause)')
    .option('--summary-md <file.md>', 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--json', 'print the paired summary as JSON', false);
}
export type AbFlags = ReturnType<ReturnType<typeof abCli>['opts']>;

export function probeCli() {
  return credentialOptions(new Command('probe'))
    .description('check what an endpoint supports before benchmarking it (streaming, usage, limits, structured output, tools, batching)')
    .requiredOption('--target <url>', 'base URL of the endpoint, ending in /v1')
    .option('--model <name>', 'model to probe (default: the first of /v1/models)')
    .option('--json', 'print the report as JSON', false)
    .option('--timeout <d>', 'limit on each probe request', '60s')
    .option('--max-probe-tokens <n>', 'upper bound of the context search when /v1/models gives no max_model_len', int('--max-probe-tokens'));
}
export type ProbeFlags = ReturnType<ReturnType<typeof probeCli>['opts']>;

export function reportCli() {
  return new Command('report')
    .description('print the summary of a result file')
    .argument('<result>', 'result .json file')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'md', 'json'] as const).default('text' as const))
    .option('--html <file>', 'also write a self-contained HTML report (charts inline, no network)');
}
export type ReportFlags = ReturnType<ReturnType<typeof reportCli>['opts']>;

export function compareCli() {
  return new Command('compare')
    .description('compare runs side by side (the first is the baseline, the last the candidate)')
    .argument('<results...>', 'two or more result .json files')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'md', 'json'] as const).default('text' as const))
    .option('--fail-on <thresholds>', "exit 2 when the last run regresses beyond noise past any threshold, e.g. 'ttft.p95>+10%,error_rate>+0.5pp,tpot.p99>+5ms'")
    .option('--weights <file.yaml>', 'add a weighted decision matrix (criteria and weights in YAML)')
    .option('--html <file>', 'also write a self-contained HTML comparison')
    .option('--resamples <n>', 'bootstrap resamples per latency metric (default 300)', int('--resamples'))
    .option('--min-effect <pct>', 'relative changes below this percentage are within noise (default 1)', positive('--min-effect'));
}
export type CompareFlags = ReturnType<ReturnType<typeof compareCli>['opts']>;

export function exportCli() {
  return new Command('export')
    .description('export result files as CSV (one row per run × phase × class)')
    .argument('<format>', 'csv')
    .argument('<results...>', 'result .json files')
    .option('--long', 'tidy format: one metric value per row', false)
    .option('--out <file>', 'write to a file instead of stdout');
}
export type ExportFlags = ReturnType<ReturnType<typeof exportCli>['opts']>;

export function mergeCli() {
  return new Command('merge')
    .description('merge result files of the same workload exactly (shards, workers, repeats)')
    .argument('<results...>', 'result .json files')
    .option('--out <file>', 'write the merged result here (default: stdout)');
}
export type MergeFlags = ReturnType<ReturnType<typeof mergeCli>['opts']>;

export function validateCli() {
  return new Command('validate').description('check a workload file and print what it would run').argument('<workload>', 'workload file or name');
}

export function simCli() {
  return new Command('sim')
    .description('run the embedded OpenAI-compatible simulator on its own (profiles and parameters: docs/simulator.md)')
    .option('--profile <name>', 'continuous-batching (default), prefix-cache, blocking, or fixed (the default when --ttft/--itl/--prefill-per-token are given)')
    .option('--config <sim.yaml>', 'settings file: engine parameters, faults, structured-output error rates')
    .option('--port <p>', 'port to listen on (0 = any free port)', int('--port'), 8000)
    .option('--host <h>', 'address to bind', '127.0.0.1')
    .option('--model <name>', 'model id to serve')
    .option('--ttft <ms>', 'fixed profile: base time to first token', positive('--ttft'))
    .option('--itl <ms>', 'fixed profile: time between tokens', positive('--itl'))
    .option('--prefill-per-token <ms>', 'prefill cost per prompt token (fixed: added to TTFT)', nonNegative('--prefill-per-token'))
    .option('--decode-base-ms <ms>', 'engine: fixed cost of one decode step', nonNegative('--decode-base-ms'))
    .option('--decode-per-seq-ms <ms>', 'engine: added per sequence in the step', nonNegative('--decode-per-seq-ms'))
    .option('--prefill-chunk <tokens>', 'engine: most prompt tokens prefilled per step', int('--prefill-chunk'))
    .option('--max-seqs <n>', 'engine: most sequences running at once', int('--max-seqs'))
    .option('--kv-tokens <n>', 'engine: KV-cache budget in tokens', int('--kv-tokens'))
    .option('--no-preemption', 'engine: reserve prompt + max output at admission instead of preempting when the KV cache fills')
    .option('--block-tokens <n>', 'prefix-cache: words per cache block', int('--block-tokens'))
    .option('--slots <n>', 'blocking: parallel slots', int('--slots'))
    .option('--no-vision', 'play a text-only model: requests with image_url parts get HTTP 400')
    .option('--image-patch-px <px>', 'image tokens per image: ceil(w/px) × ceil(h/px) (default 28)', int('--image-patch-px'))
    .option('--reasoning <tokens>', 'play a reasoning model: this many reasoning tokens (delta.reasoning_content) before each answer, scaled by reasoning_effort (low ¼, high 2×)', int('--reasoning'))
    .option('--no-reasoning-usage', 'with --reasoning: leave completion_tokens_details.reasoning_tokens out of usage, as some engines do')
    .option('--seed <n>', 'seed of the fault and structured-output draws', int('--seed'))
    .option('--fault <spec>', 'fault, e.g. http_500:rate=0.05, stall:every=10,seconds=5, loading_503:seconds=10 (repeatable)', collect, [] as string[]);
}
export type SimCommandFlags = ReturnType<ReturnType<typeof simCli>['opts']>;

/** A command's options as they are with no flag given (defaults applied): what programmatic callers and tests start from. */
export function defaultsOf<O extends OptionValues>(cmd: { parseOptions(argv: string[]): unknown; opts(): O }): O {
  cmd.parseOptions([]);
  return cmd.opts();
}

/** `run`'s options with every default applied and no flag given: programmatic runs (campaign, tests) start from these. */
export function runDefaults(): RunFlags {
  return defaultsOf(runCli());
}

/** `sweep`'s options with every default applied and no flag given. */
export function sweepDefaults(): SweepFlags {
  return defaultsOf(sweepCli());
}

/** The option groups every measuring command shares (run, sweep, and the commands built on them). */
function measuringCli() {
  return outputOptions(targetOptions(requestOptions(new Command('measure'))));
}
/** Flags the run context reads (commands/run-context.ts): RunFlags and SweepFlags both have them. */
export type MeasuringFlags = ReturnType<ReturnType<typeof measuringCli>['opts']>;

export function campaignCli() {
  return new Command('campaign')
    .description('run a benchmark plan (targets × workloads × loads or sweeps) that resumes after a kill and stays inside a budget; `campaign report DIR` prints it')
    .argument('<plan.yaml>', 'campaign plan (name, targets, workloads, points; see "Campaigns" in the README)')
    .option('--out <dir>', 'campaign folder: campaign.json, one folder per point, campaign.csv (default results/campaign-<name>/)')
    .option('--resume', 'continue the campaign in --out: skip done points, run again the ones cut short', false)
    .option('--allow-changed', "with --resume: run on although a target's fingerprint changed (the report marks those points)", false)
    .option('--budget-usd <usd>', "stop before a point that would take the spend past this (targets' cost_per_hour × time, all sessions)", positive('--budget-usd'))
    .option('--max-time <d>', 'stop before a point that would take this session past this long, e.g. 2h')
    .option('--dry-run', 'print the points with their time and cost estimates, and send nothing', false)
    .option('--drain <d>', 'on Ctrl-C, how long in-flight requests may finish before being cancelled', '10s')
    .option('--max-client-lag <d>', "the harness's own lag past which a point is client-saturated and invalid (default 10ms)")
    .option('-q, --quiet', 'no progress output from the points', false);
}
export type CampaignFlags = ReturnType<ReturnType<typeof campaignCli>['opts']>;

export function campaignReportCli() {
  return new Command('report')
    .description("print a campaign's table (target × workload × point), and write its CSV or HTML")
    .argument('<dir>', 'campaign folder (holds campaign.json)')
    .option('--csv <file>', 'write the long-form CSV (one row per point × class, with the trust columns)')
    .option('--html <file>', 'write one self-contained HTML page comparing the targets per workload');
}
export type CampaignReportFlags = ReturnType<ReturnType<typeof campaignReportCli>['opts']>;
