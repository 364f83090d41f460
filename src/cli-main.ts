// The CLI proper (src/cli.ts launches it): commander wiring only. Each command lives in src/commands/; a typed error's code maps to
// the exit code here, and a `run` that fails before its verdict hands its --junit/--summary-md to commands/gates.ts; nothing else happens here.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LoadshapeError } from './util/errors.js';
import { EXIT } from './commands/exit.js';
import { VERSION } from './version.js';
import { formatBound, MAX_CONCURRENCY, MAX_EVENT_BYTES, MAX_RATE_RPS, MAX_REQUESTS, MAX_RETRIES, MAX_SWEEP_STEPS, MAX_WORKERS, tooLarge } from './util/limits.js';
import { describeFailure } from './cli-errors.js';
import { redactUrl } from './util/redact.js';

const collect = (value: string, previous: string[]) => [...previous, value];
/** A whole number up to `max` (the counts' bounds live in workload/limits.ts and the README's "Limits"). */
const int = (name: string, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name}: expected a non-negative integer, got "${v}"`);
  if (n > max) throw new InvalidArgumentError(tooLarge(name, formatBound(max), v));
  return n;
};
const positive = (name: string, max = Number.MAX_VALUE) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name}: expected a positive number, got "${v}"`);
  if (n > max) throw new InvalidArgumentError(tooLarge(name, formatBound(max), v));
  return n;
};

const nonNegative = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name}: expected a number >= 0, got "${v}"`);
  return n;
};

/** Options every measuring command shares: labels, credentials, headers, tokenizer, time limits, TLS, retries, size limits. */
function requestOptions(cmd: Command): Command {
  return cmd
  .option('--label <k=v>', 'label the run (repeatable)', collect, [])
  .option('--api-key-env <VAR>', 'send "Authorization: Bearer $VAR" (the key is read from the environment, never from argv)')
  .option('--api-key-file <path>', 'send "Authorization: Bearer <first line of the file>" (keeps the key out of argv and the environment)')
  .option('--header <"K: V">', 'extra request header (repeatable; values are redacted from results)', collect, [])
  .option('--tokenizer <tokenizer.json>', 'a Hugging Face tokenizer.json for exact prompt lengths (default: o200k_base)')
  .option('--timeout-ttfb <d>', 'limit on time to the response headers ("off": none)', '120s')
  .option('--timeout-idle <d>', 'limit on silence between chunks ("off": none)', '60s')
  .option('--timeout-total <d>', 'limit on a whole request ("off": none)', '600s')
  .option('--retry <statuses>', 'retry these HTTP statuses, e.g. 429,503 (off by default; retried attempts are counted apart)')
  .option('--max-retries <n>', 'retries per request with --retry (default 3)', int('--max-retries', MAX_RETRIES))
  .option('--max-event-bytes <n>', 'largest SSE event accepted; a larger one is a `malformed` error (default 16 MiB)', int('--max-event-bytes', MAX_EVENT_BYTES))
  .option('--max-answer-bytes <n>', 'answer bytes kept per request for validation and conversations; a longer answer is read to its end, dropped and judged `too_large` (default 1 MiB)', int('--max-answer-bytes'))
  .option('--insecure', 'do not verify TLS certificates (verification is on by default)', false);
}

/** The values of requestOptions(), as run and sweep take them. */
function requestOptionValues(o: Record<string, unknown>) {
  return {
    label: o.label as string[],
    apiKeyEnv: o.apiKeyEnv as string | undefined,
    apiKeyFile: o.apiKeyFile as string | undefined,
    header: o.header as string[],
    tokenizer: o.tokenizer as string | undefined,
    timeoutTtfb: o.timeoutTtfb as string,
    timeoutIdle: o.timeoutIdle as string,
    timeoutTotal: o.timeoutTotal as string,
    retry: o.retry as string | undefined,
    maxRetries: o.maxRetries as number | undefined,
    maxEventBytes: o.maxEventBytes as number | undefined,
    maxAnswerBytes: o.maxAnswerBytes as number | undefined,
    insecure: o.insecure as boolean,
  };
}

const program = new Command('loadshape')
  .description('Load-test OpenAI-compatible LLM inference endpoints with production-shaped workloads')
  .version(VERSION)
  // One line and a hint, not the whole help: 118 lines of options scrolled a typo's "(Did you mean …?)" away.
  .showHelpAfterError('(add --help for the options)')
  .exitOverride();

requestOptions(program.command('run'))
  .description('run a workload against a target (or the embedded simulator when --target is omitted)')
  .argument('[workload]', 'workload file, or a name from workloads/ (default: mixed; with --trace, a plain chat workload)')
  .option('--trace <file>', 'replay a trace (CSV or JSONL: timestamp, input tokens, output tokens, optional class and session id; Azure and BurstGPT layouts accepted) as the only phase')
  .option('--speed <x>', 'time scale of a --trace replay: 2 replays twice as fast', positive('--speed'))
  .option('--target <url>', 'base URL of the endpoint, ending in /v1 (default: start the embedded simulator)')
  .option('--model <name>', 'model to request (default: the workload\'s, else the first of /v1/models)')
  .option('--concurrency <n>', 'closed loop: replace the phases with one phase of N in flight', int('--concurrency', MAX_CONCURRENCY))
  .option('--rate <rps>', 'open loop: replace the phases with one Poisson phase at R req/s', positive('--rate', MAX_RATE_RPS))
  .option('--duration <d>', 'length of the --concurrency/--rate phase, e.g. 30s')
  .option('--requests <n>', 'request count of the --concurrency/--rate phase', int('--requests', MAX_REQUESTS))
  .option('--seed <n>', 'override the workload seed', int('--seed'))
  .option('--workers <n>', 'run N processes, each sending its shard of the schedule, merged exactly (default: cores − 1, at least 1)', int('--workers', MAX_WORKERS))
  .option('--start-at <epochMs>', 'start the run clock at this wall-clock instant, epoch ms (what --workers passes its children; give every shard of a run the same one)', int('--start-at'))
  .option('--shard <i/N>', 'send only this shard of every phase (i, i+N, …); merge the shards with `loadshape merge`')
  .option('--start-barrier <dir>', 'with --shard: announce this shard in DIR (shared by all N shards, new per run) and start the clock when all have, at one instant')
  .option('--barrier-timeout <d>', 'how long --start-barrier waits for every shard before failing, naming the missing ones (default 10m)')
  .option('--out <dir>', 'directory for the result file', 'results')
  .option('--records <file>', 'stream one JSON record per request to this .jsonl file')
  .option('--drain <d>', 'on Ctrl-C, how long in-flight requests may finish before being cancelled', '10s')
  .option('--checkpoint <d>', 'write the result so far to <result>.checkpoint.json every interval of at least 1s, e.g. 30s (kill -9 then loses at most one interval)')
  .option('--max-client-lag <d>', "the harness's own lag (event-loop delay p99, open-loop dispatch lag p99) past which the run is client-saturated and invalid (default 10ms; raise it knowingly on a shared runner)")
  .option('--wait-ready <d>', 'poll /health or /v1/models until the engine answers (e.g. 10m), record the time to ready and run a `cold` phase first')
  .option('--cold-requests <n>', 'requests of the `cold` phase after --wait-ready, one at a time (default 3)', int('--cold-requests', MAX_REQUESTS))
  .option('--recipe <recipe.yaml>', 'embed the serving recipe (engine, model, GPUs, flags, $ per GPU-hour) with its sha256')
  .option('--server-metrics <url>', 'scrape this Prometheus endpoint every second (repeatable; default: /metrics at the target root when it answers; "none" turns that off)', collect, [])
  .option('--server-metric <name>', 'also keep this metric from the scraped endpoints (repeatable)', collect, [])
  .option('--cost-per-hour <usd>', 'serving cost in $ per hour (overrides the recipe\'s $ per GPU-hour × GPUs)', nonNegative('--cost-per-hour'))
  .addOption(new Option('--sim-ttft <ms>', 'embedded simulator: base time to first token').argParser(positive('--sim-ttft')))
  .addOption(new Option('--sim-itl <ms>', 'embedded simulator: time between tokens').argParser(positive('--sim-itl')))
  .addOption(new Option('--sim-prefill-per-token <ms>', 'embedded simulator: extra TTFT per prompt token').argParser(nonNegative('--sim-prefill-per-token')))
  .addOption(new Option('--sim-profile <name>', 'embedded simulator profile: continuous-batching (default), prefix-cache, blocking, fixed (the default when --sim-ttft/--sim-itl/--sim-prefill-per-token are given)'))
  .option('--sim-config <sim.yaml>', 'embedded simulator settings file (engine parameters, faults, structured-output error rates; see docs/simulator.md)')
  .option('--sim-fault <spec>', 'embedded simulator fault, e.g. http_500:rate=0.05 or stall:every=10,seconds=5 (repeatable)', collect, [])
  .option('--slo <expr>', "SLO gate, e.g. 'ttft.p95 < 500ms', 'error_rate < 1% class=rag', 'output_tps > 2000 phase=steady' (repeatable; exit 1 when one fails)", collect, [])
  .option('--goodput <criteria>', "per-request criteria of a good request, e.g. 'ttft<=500ms,tpot<=50ms': reports goodput and the good fraction per phase × class")
  .option('--baseline <result.json>', 'compare with this result (noise-aware); exit 2 on a regression past --fail-on')
  .option('--fail-on <thresholds>', "regression thresholds against --baseline, e.g. 'ttft.p95>+10%,error_rate>+0.5pp' (default: p95 TTFT/TPOT/E2E +10%, errors +0.5pp, output tok/s -10%)")
  .option('--abort-on-fail', 'stop the run early once an SLO on errors (error_rate < X%) can no longer hold', false)
  .option('--junit <file.xml>', 'write the gates as JUnit XML (one test case per SLO check and regression clause)')
  .option('--summary-md <file.md>', 'write a Markdown summary of the gates (also appended to $GITHUB_STEP_SUMMARY when set)')
  .option('-q, --quiet', 'no progress output', false)
  .action(async (workload: string | undefined, o: Record<string, unknown>) => {
    // Loaded here, as every command's modules are: only the command that runs pays for its imports.
    const { runCommand } = await import('./commands/run.js');
    const { exitCode } = await runCommand({
      workload,
      trace: o.trace as string | undefined,
      speed: o.speed as number | undefined,
      target: o.target as string | undefined,
      model: o.model as string | undefined,
      concurrency: o.concurrency as number | undefined,
      rate: o.rate as number | undefined,
      duration: o.duration as string | undefined,
      requests: o.requests as number | undefined,
      seed: o.seed as number | undefined,
      shard: o.shard as string | undefined,
      workers: o.workers as number | undefined,
      defaultWorkers: Math.max(1, availableParallelism() - 1),
      startAtEpochMs: o.startAt as number | undefined,
      startBarrier: o.startBarrier as string | undefined,
      barrierTimeout: o.barrierTimeout as string | undefined,
      out: o.out as string,
      records: o.records as string | undefined,
      ...requestOptionValues(o),
      quiet: o.quiet as boolean,
      simTtftMs: o.simTtft as number | undefined,
      simItlMs: o.simItl as number | undefined,
      simPrefillMsPerToken: o.simPrefillPerToken as number | undefined,
      simProfile: o.simProfile as string | undefined,
      simConfig: o.simConfig as string | undefined,
      simFault: o.simFault as string[],
      drain: o.drain as string,
      checkpoint: o.checkpoint as string | undefined,
      maxClientLag: o.maxClientLag as string | undefined,
      slo: o.slo as string[],
      goodput: o.goodput as string | undefined,
      baseline: o.baseline as string | undefined,
      failOn: o.failOn as string | undefined,
      abortOnFail: o.abortOnFail as boolean,
      junit: o.junit as string | undefined,
      summaryMd: o.summaryMd as string | undefined,
      waitReady: o.waitReady as string | undefined,
      coldRequests: o.coldRequests as number | undefined,
      recipe: o.recipe as string | undefined,
      serverMetrics: o.serverMetrics as string[],
      serverMetric: o.serverMetric as string[],
      costPerHour: o.costPerHour as number | undefined,
    });
    process.exitCode = exitCode;
  });

requestOptions(program.command('sweep'))
  .description('find the highest load that holds the SLOs: baseline, throughput probe, grid and bisection; one phase per step in one result file')
  .argument('<workload>', 'workload file, or a name from workloads/')
  .option('--slo <expr>', "SLO bounding the search, e.g. 'ttft.p95 < 500ms', 'error_rate < 1%' (repeatable; adds to the workload's slo:)", collect, [])
  .option('--goodput <criteria>', "per-request criteria of a good request, e.g. 'ttft<=500ms' (for goodput SLOs)")
  .addOption(new Option('--by <model>', 'search open-loop arrival rate or closed-loop concurrency').choices(['rate', 'concurrency']).default('rate'))
  .option('--json', 'print the answer as JSON (maxRateRps, maxOutputTps, slos, steps, classes)', false)
  .option('--target <url>', 'base URL of the endpoint, ending in /v1 (default: start the embedded simulator)')
  .option('--model <name>', "model to request (default: the workload's, else the first of /v1/models)")
  .option('--seed <n>', 'override the workload seed', int('--seed'))
  .option('--step-duration <d>', 'longest a step runs (it ends earlier once steady or clearly saturated)', '60s')
  .option('--min-step-duration <d>', 'shortest a steady step runs (each refinement step near the boundary runs twice as long as the one before, up to --step-duration)', '10s')
  .option('--steady-window <d>', 'rolling window of the steady-state check: two consecutive windows must agree', '3s')
  .option('--min-step-requests <n>', 'completions a step needs before it may be called steady', int('--min-step-requests', MAX_REQUESTS), 30)
  .option('--max-steps <n>', 'steps in all, baseline and probe included', int('--max-steps', MAX_SWEEP_STEPS), 12)
  .option('--probe-concurrency <n>', 'in-flight requests of the throughput probe', int('--probe-concurrency', MAX_CONCURRENCY), 64)
  .option('--tolerance <f>', 'stop refining when the boundary is known within this fraction (the load reported is then run again to confirm it)', positive('--tolerance'), 0.05)
  .option('--out <dir>', 'directory for the result file', 'results')
  .option('--drain <d>', 'after a step stops, how long its in-flight requests may finish before being cancelled', '10s')
  .option('--max-client-lag <d>', "the harness's own lag past which a step's client is saturated: such a step cannot be the answer (default 10ms; raise it knowingly on a shared runner)")
  .addOption(new Option('--sim-profile <name>', 'embedded simulator profile: continuous-batching (default), prefix-cache, blocking, fixed'))
  .option('--sim-config <sim.yaml>', 'embedded simulator settings file (see docs/simulator.md)')
  .option('--sim-fault <spec>', 'embedded simulator fault (repeatable)', collect, [])
  .option('-q, --quiet', 'no progress output', false)
  .action(async (workload: string, o: Record<string, unknown>) => {
    const { sweepCommand } = await import('./commands/sweep.js');
    const { exitCode } = await sweepCommand({
      workload,
      slo: o.slo as string[],
      goodput: o.goodput as string | undefined,
      by: o.by as string,
      json: o.json as boolean,
      target: o.target as string | undefined,
      model: o.model as string | undefined,
      seed: o.seed as number | undefined,
      stepDuration: o.stepDuration as string,
      minStepDuration: o.minStepDuration as string,
      steadyWindow: o.steadyWindow as string,
      minStepRequests: o.minStepRequests as number,
      maxSteps: o.maxSteps as number,
      probeConcurrency: o.probeConcurrency as number,
      tolerance: o.tolerance as number,
      out: o.out as string,
      ...requestOptionValues(o),
      drain: o.drain as string,
      maxClientLag: o.maxClientLag as string | undefined,
      simProfile: o.simProfile as string | undefined,
      simConfig: o.simConfig as string | undefined,
      simFault: o.simFault as string[],
      quiet: o.quiet as boolean,
    });
    process.exitCode = exitCode;
  });

program
  .command('validate')
  .description('check a workload file and print what it would run')
  .argument('<workload>', 'workload file or name')
  .action(async (file: string) => {
    const { validateCommand } = await import('./commands/validate.js');
    await validateCommand(file);
  });

program
  .command('report')
  .description('print the summary of a result file')
  .argument('<result>', 'result .json file')
  .addOption(new Option('--format <f>', 'output format').choices(['text', 'md', 'json']).default('text'))
  .option('--html <file>', 'also write a self-contained HTML report (charts inline, no network)')
  .action(async (file: string, o: { format: string; html?: string }) => {
    const { reportCommand } = await import('./commands/report.js');
    await reportCommand(file, o);
  });

program
  .command('compare')
  .description('compare runs side by side (the first is the baseline, the last the candidate)')
  .argument('<results...>', 'two or more result .json files')
  .addOption(new Option('--format <f>', 'output format').choices(['text', 'md', 'json']).default('text'))
  .option('--fail-on <thresholds>', "exit 2 when the last run regresses beyond noise past any threshold, e.g. 'ttft.p95>+10%,error_rate>+0.5pp,tpot.p99>+5ms'")
  .option('--weights <file.yaml>', 'add a weighted decision matrix (criteria and weights in YAML)')
  .option('--html <file>', 'also write a self-contained HTML comparison')
  .option('--resamples <n>', 'bootstrap resamples per latency metric (default 300)', int('--resamples'))
  .option('--min-effect <pct>', 'relative changes below this percentage are within noise (default 1)', positive('--min-effect'))
  .action(async (files: string[], o: { format: 'text' | 'md' | 'json'; failOn?: string; weights?: string; html?: string; resamples?: number; minEffect?: number }) => {
    const { compareCommand } = await import('./commands/compare.js');
    const { exitCode } = await compareCommand(files, { ...o, minEffect: o.minEffect === undefined ? undefined : o.minEffect / 100 });
    process.exitCode = exitCode;
  });

program
  .command('export')
  .description('export result files as CSV (one row per run × phase × class)')
  .argument('<format>', 'csv')
  .argument('<results...>', 'result .json files')
  .option('--long', 'tidy format: one metric value per row', false)
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (format: string, files: string[], o: { long: boolean; out?: string }) => {
    const { exportCommand } = await import('./commands/export.js');
    await exportCommand(format, files, o);
  });

program
  .command('probe')
  .description('check what an endpoint supports before benchmarking it (streaming, usage, limits, structured output, tools, batching)')
  .requiredOption('--target <url>', 'base URL of the endpoint, ending in /v1')
  .option('--model <name>', 'model to probe (default: the first of /v1/models)')
  .option('--json', 'print the report as JSON', false)
  .option('--api-key-env <VAR>', 'send "Authorization: Bearer $VAR"')
  .option('--api-key-file <path>', 'send "Authorization: Bearer <first line of the file>" (keeps the key out of argv and the environment)')
  .option('--header <"K: V">', 'extra request header (repeatable)', collect, [])
  .option('--insecure', 'do not verify TLS certificates (verification is on by default)', false)
  .option('--timeout <d>', 'limit on each probe request', '60s')
  .option('--max-probe-tokens <n>', 'upper bound of the context search when /v1/models gives no max_model_len', int('--max-probe-tokens'))
  .action(async (o: { target: string; model?: string; json: boolean; apiKeyEnv?: string; apiKeyFile?: string; header: string[]; insecure: boolean; timeout: string; maxProbeTokens?: number }) => {
    const { probeCommand } = await import('./commands/probe.js');
    process.exitCode = await probeCommand(o);
  });

program
  .command('merge')
  .description('merge result files of the same workload exactly (shards, workers, repeats)')
  .argument('<results...>', 'result .json files')
  .option('--out <file>', 'write the merged result here (default: stdout)')
  .action(async (files: string[], o: { out?: string }) => {
    const { mergeCommand } = await import('./commands/merge.js');
    await mergeCommand(files, o);
  });

program
  .command('sim')
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
  .option('--seed <n>', 'seed of the fault and structured-output draws', int('--seed'))
  .option('--fault <spec>', 'fault, e.g. http_500:rate=0.05, stall:every=10,seconds=5, loading_503:seconds=10 (repeatable)', collect, [])
  .action(async (o: Record<string, unknown>) => {
    // Imported here so the core CLI path never loads the simulator unless asked.
    const { simCommand } = await import('./commands/sim.js');
    const num = (k: string) => o[k] as number | undefined;
    await simCommand({
      port: o.port as number,
      host: o.host as string,
      profile: o.profile as string | undefined,
      config: o.config as string | undefined,
      fault: o.fault as string[],
      ttftMs: num('ttft'),
      itlMs: num('itl'),
      prefillMsPerToken: num('prefillPerToken'),
      model: o.model as string | undefined,
      settings: {
        decodeBaseMs: num('decodeBaseMs'),
        decodePerSeqMs: num('decodePerSeqMs'),
        prefillChunkTokens: num('prefillChunk'),
        maxRunningSeqs: num('maxSeqs'),
        kvBudgetTokens: num('kvTokens'),
        // commander sets preemption: true unless --no-preemption; only the negation is a choice.
        preemption: o.preemption === false ? false : undefined,
        blockTokens: num('blockTokens'),
        slots: num('slots'),
        seed: num('seed'),
      },
    });
  });

const EXIT_BY_CODE: Record<LoadshapeError['code'], number> = {
  usage: EXIT.usage,
  workload: EXIT.usage,
  result_file: EXIT.usage,
  io: EXIT.usage,
  unreachable: EXIT.unreachable,
};

// An error thrown outside the command's promise (a timer, a stream event) gets the same treatment.
process.on('uncaughtException', (err) => {
  const failure = describeFailure(err, err instanceof LoadshapeError ? EXIT_BY_CODE[err.code] : EXIT.usage);
  process.stderr.write(`${failure.message}\n`);
  process.exit(failure.exitCode);
});

/** A `run` that ended without its verdict still writes the --junit/--summary-md it was given (commands/gates.ts). */
async function reportFailedRun(message: string, exitCode: number, unreachable: boolean): Promise<void> {
  if (process.argv[2] !== 'run') return;
  const argv = process.argv.slice(3);
  // commander's values where it got that far, else argv itself (a bad option stops commander's parse).
  const o = program.commands.find((c) => c.name() === 'run')!.opts() as { junit?: string; summaryMd?: string; target?: string };
  const { flagInArgv, writeFailedRunOutputs } = await import('./commands/gates.js');
  const target = o.target ?? flagInArgv(argv, '--target');
  const workload = argv[0] !== undefined && !argv[0].startsWith('-') ? basename(argv[0]).replace(/\.(ya?ml|json)$/, '') : null;
  await writeFailedRunOutputs(
    { junit: o.junit ?? flagInArgv(argv, '--junit'), summaryMd: o.summaryMd ?? flagInArgv(argv, '--summary-md') },
    { message, exitCode, unreachable, target: target === undefined ? null : redactUrl(target), workload, at: new Date() },
  );
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed the message (or help/version, which exit 0)
    process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
    if (process.exitCode !== 0) await reportFailedRun(e.message ?? e.code, EXIT.usage, false);
  } else {
    // One line for anything the user can fix (exit 4/5); a stack only for a true bug (exit 70).
    const failure = describeFailure(err, err instanceof LoadshapeError ? EXIT_BY_CODE[err.code] : EXIT.usage);
    process.stderr.write(`${failure.message}\n`);
    process.exitCode = failure.exitCode;
    await reportFailedRun(failure.message, failure.exitCode, err instanceof LoadshapeError && err.code === 'unreachable');
  }
}
