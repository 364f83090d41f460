// scripts/bench-peers.ts — loadshape and the peers' own clients (guidellm, AIPerf, from PyPI) against
// the same exact-schedule server (scripts/bench-server.ts: every chunk stamped with its send time,
// every request's arrival and chunk stamps written to a truth file), the same workload shape, each
// tool pinned to core 0 (children inherit the pinning) and the server to core 1.
//
//   bash scripts/engine/setup-peers.sh     # once: .engine/peers-venv with the pinned peers
//   npx tsx scripts/bench-peers.ts [--requests N] [--concurrency C] [--only loadshape,guidellm,aiperf]
//
// Per tool: whole-process CPU per streamed token (children included, from RUSAGE_CHILDREN via
// scripts/rusage.py), peak RSS of the whole process tree (sampled every 100 ms from /proc), achieved
// request rate (the server's first arrival to last chunk), and the tool's own TTFT / ITL / TPOT
// percentiles next to the truth from the server's stamps. Prints a Markdown table and writes
// results/bench/peers-<timestamp>.json.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const argOf = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const REQUESTS = Number(argOf('--requests', '960'));
const CONCURRENCY = Number(argOf('--concurrency', '32'));
const ONLY = new Set(argOf('--only', 'loadshape,guidellm,aiperf').split(','));
// The workload shape every tool is given: fixed lengths, closed loop.
const PROMPT_TOKENS = 128;
const OUTPUT_TOKENS = 64;
const TTFT_MS = 50;
const ITL_MS = 10;
const PEERS_VENV = join(ROOT, '.engine/peers-venv');
const MODEL_DIR = join(ROOT, '.engine/model');
// One token of the local tokenizer, so the peers' re-tokenised counts equal the chunk counts.
const CHUNK_TEXT = ' the';

const canPin = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();
const pinned = (core: number, argv: string[]): string[] => (canPin ? ['taskset', '-c', String(core), ...argv] : argv);

interface Reported {
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  /** The tool's per-request inter-token figure ((E2E − TTFT)/(N − 1)), whatever it calls it. */
  itlP50Ms: number | null;
  itlP99Ms: number | null;
  /** Its own names for those two figures, and what else it reports. */
  names: string;
  rateRps: number | null;
}

interface Tool {
  name: string;
  env: Record<string, string>;
  version(): string;
  argv(url: string, out: string): string[];
  parse(out: string): Reported;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

function findFile(dir: string, re: RegExp): string {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (re.test(e.name)) return p;
    }
  }
  throw new Error(`no file matching ${re} under ${dir}`);
}

const py = (bin: string) => join(PEERS_VENV, 'bin', bin);
const pipVersion = (pkg: string) => {
  try {
    return execFileSync(py('python'), ['-c', `import importlib.metadata as m; print(m.version('${pkg}'))`], { encoding: 'utf8' }).trim();
  } catch {
    return 'not installed';
  }
};

const TOOLS: Tool[] = [
  {
    name: 'loadshape',
    env: {},
    version: () => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string,
    argv: (url, out) => {
      const wl = join(out, 'peers.yaml');
      writeFileSync(
        wl,
        [
          'name: peers',
          'seed: 1',
          'classes:',
          '  - name: fixed',
          `    prompt_tokens: {type: fixed, value: ${PROMPT_TOKENS}}`,
          `    output_tokens: {type: fixed, value: ${OUTPUT_TOKENS}}`,
          'phases:',
          `  - {name: main, concurrency: ${CONCURRENCY}, requests: ${REQUESTS}}`,
          '',
        ].join('\n'),
      );
      return [process.execPath, join(ROOT, 'dist/cli.js'), 'run', wl, '--target', url, '--model', 'bench', '--tokenizer', join(MODEL_DIR, 'tokenizer.json'), '--workers', '1', '--server-metrics', 'none', '--quiet', '--out', join(out, 'result')];
    },
    parse: (out) => {
      const r = JSON.parse(readFileSync(findFile(join(out, 'result'), /\.json$/), 'utf8')) as {
        phases: { achievedRateRps: number | null; groups: { metrics: Record<string, { p50Ms: number; p99Ms: number }>; throughput: { requestsPerS: number } }[] }[];
      };
      const m = r.phases[0].groups[0].metrics;
      return { ttftP50Ms: m.ttftMs.p50Ms, ttftP99Ms: m.ttftMs.p99Ms, itlP50Ms: m.tpotMs.p50Ms, itlP99Ms: m.tpotMs.p99Ms, names: 'ttftMs, tpotMs (also interChunkMs, firstChunkMs)', rateRps: r.phases[0].groups[0].throughput.requestsPerS };
    },
  },
  {
    name: 'guidellm',
    version: () => pipVersion('guidellm'),
    // guidellm 0.8 takes its settings as a scenario file (its CLI options are kind=... objects).
    env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    argv: (url, out) => {
      const scenario = join(out, 'scenario.json');
      writeFileSync(
        scenario,
        JSON.stringify({
          metadata: { name: 'bench-peers', description: 'loadshape scripts/bench-peers.ts' },
          spec: {
            backend: { kind: 'openai_http', target: url.replace(/\/v1$/, ''), model: 'bench', request_format: '/v1/chat/completions' },
            profile: { kind: 'concurrent', streams: [CONCURRENCY] },
            constraints: [{ kind: 'max_requests', count: REQUESTS }],
            tokenizer: { kind: 'huggingface_auto', model: MODEL_DIR },
            data: [{ kind: 'synthetic_text', prompt_tokens: PROMPT_TOKENS, output_tokens: OUTPUT_TOKENS }],
            outputs: [{ kind: 'json', path: join(out, 'benchmarks.json') }],
          },
        }),
      );
      return [py('guidellm'), 'run', '-c', scenario, '--disable-console-interactive'];
    },
    parse: (out) => {
      const j = JSON.parse(readFileSync(join(out, 'benchmarks.json'), 'utf8')) as { benchmarks: { metrics: Record<string, { successful: { percentiles: Record<string, number>; mean: number } }> }[] };
      const m = j.benchmarks[0].metrics;
      const p = (k: string, q: string) => m[k]?.successful.percentiles[q] ?? null;
      return {
        ttftP50Ms: p('time_to_first_token_ms', 'p50'),
        ttftP99Ms: p('time_to_first_token_ms', 'p99'),
        itlP50Ms: p('inter_token_latency_ms', 'p50'),
        itlP99Ms: p('inter_token_latency_ms', 'p99'),
        names: 'time_to_first_token_ms, inter_token_latency_ms (its time_per_output_token_ms is E2E/N)',
        rateRps: m.requests_per_second?.successful.mean ?? null,
      };
    },
  },
  {
    name: 'aiperf',
    version: () => pipVersion('aiperf'),
    // No HF_HUB_OFFLINE here: in offline mode AIPerf 0.13 looks even a local path up in the hub cache
    // and fails; online, it loads a local directory without asking the hub.
    env: {},
    argv: (url, out) => [
      py('aiperf'), 'profile',
      '--model', 'bench', '--url', url.replace(/\/v1$/, ''), '--endpoint-type', 'chat', '--streaming',
      '--tokenizer', MODEL_DIR,
      '--isl', String(PROMPT_TOKENS), '--isl-stddev', '0', '--osl', String(OUTPUT_TOKENS), '--osl-stddev', '0',
      '--concurrency', String(CONCURRENCY), '--request-count', String(REQUESTS),
      '--artifact-dir', join(out, 'aiperf'), '--ui', 'none',
    ],
    parse: (out) => {
      const j = JSON.parse(readFileSync(findFile(out, /^profile_export_aiperf\.json$/), 'utf8')) as Record<string, { p50?: number; p99?: number; avg?: number }>;
      const g = (k: string, q: 'p50' | 'p99') => j[k]?.[q] ?? null;
      return {
        ttftP50Ms: g('time_to_first_token', 'p50'),
        ttftP99Ms: g('time_to_first_token', 'p99'),
        itlP50Ms: g('inter_token_latency', 'p50'),
        itlP99Ms: g('inter_token_latency', 'p99'),
        names: 'time_to_first_token, inter_token_latency (also inter_chunk_latency)',
        rateRps: j.request_throughput?.avg ?? null,
      };
    },
  },
];

interface Truth {
  requests: number;
  chunks: number;
  ttftMs: number[];
  /** Per request: (last stamp − first stamp)/(N − 1), the definition every tool's ITL/TPOT uses. */
  itlMs: number[];
  rateRps: number;
}

function readTruth(file: string): Truth {
  const rows = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { a: number; s: number[] });
  const first = Math.min(...rows.map((r) => r.a));
  const last = Math.max(...rows.map((r) => r.s[r.s.length - 1]));
  return {
    requests: rows.length,
    chunks: rows.reduce((n, r) => n + r.s.length, 0),
    ttftMs: rows.map((r) => r.s[0] - r.a),
    itlMs: rows.filter((r) => r.s.length > 1).map((r) => (r.s[r.s.length - 1] - r.s[0]) / (r.s.length - 1)),
    rateRps: rows.length / ((last - first) / 1000),
  };
}

async function startServer(truth: string): Promise<{ url: string; stop(): void }> {
  const argv = pinned(1, [process.execPath, '--import', 'tsx', join(ROOT, 'scripts/bench-server.ts'), '0', '--ttft-ms', String(TTFT_MS), '--itl-ms', String(ITL_MS), '--content', CHUNK_TEXT, '--truth', truth]);
  const proc = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    proc.stdout!.on('data', (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) res(Number(m[1]));
    });
    proc.on('exit', (code) => rej(new Error(`bench server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/v1`, stop: () => proc.kill('SIGTERM') };
}

/** Sum of RSS over a process and all its descendants, from /proc (KiB). */
function treeRssKb(root: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      // Field 24 of stat (rss, pages) is the 22nd after the comm field.
      rss.set(Number(e), Number(fields[21]) * 4);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // the process ended while we read
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    total += rss.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

interface Row {
  tool: string;
  version: string;
  wallS: number;
  cpuS: number;
  cpuUsPerToken: number;
  peakRssMb: number;
  requests: number;
  tokens: number;
  achievedRps: number;
  reportedRps: number | null;
  truth: { ttftP50Ms: number; ttftP99Ms: number; itlP50Ms: number; itlP99Ms: number };
  reported: Reported;
}

async function runTool(tool: Tool): Promise<Row> {
  const out = mkdtempSync(join(tmpdir(), `bench-peers-${tool.name}-`));
  const truthFile = join(out, 'truth.jsonl');
  const server = await startServer(truthFile);
  try {
    const usageFile = join(out, 'rusage.json');
    const argv = pinned(0, ['python3', join(ROOT, 'scripts/rusage.py'), usageFile, ...tool.argv(server.url, out)]);
    const child = spawn(argv[0], argv.slice(1), { cwd: out, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...tool.env } });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    let peakKb = 0;
    const sampler = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(child.pid!))), 100);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearInterval(sampler);
    writeFileSync(join(out, 'tool.log'), log);
    if (code !== 0) throw new Error(`${tool.name} exited ${code} (log ${join(out, 'tool.log')}):\n${log.slice(-3000)}`);
    const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { wallS: number; userS: number; sysS: number };
    const truth = readTruth(truthFile);
    const cpuS = usage.userS + usage.sysS;
    const reported = tool.parse(out);
    return {
      tool: tool.name,
      version: tool.version(),
      wallS: usage.wallS,
      cpuS,
      cpuUsPerToken: (cpuS * 1e6) / truth.chunks,
      peakRssMb: peakKb / 1024,
      requests: truth.requests,
      tokens: truth.chunks,
      achievedRps: truth.rateRps,
      reportedRps: reported.rateRps,
      truth: { ttftP50Ms: pct(truth.ttftMs, 50), ttftP99Ms: pct(truth.ttftMs, 99), itlP50Ms: pct(truth.itlMs, 50), itlP99Ms: pct(truth.itlMs, 99) },
      reported,
    };
  } finally {
    server.stop();
  }
}

const f = (x: number | null, d = 2) => (x === null || Number.isNaN(x) ? '—' : x.toFixed(d));
const err = (rep: number | null, truth: number) => (rep === null ? '—' : `${rep - truth >= 0 ? '+' : ''}${(rep - truth).toFixed(2)}`);

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run "npm run build" first');
  if (!existsSync(join(MODEL_DIR, 'tokenizer_config.json'))) throw new Error('.engine/model has no tokenizer: run "bash scripts/engine/setup.sh" first');
  const rows: Row[] = [];
  for (const tool of TOOLS.filter((t) => ONLY.has(t.name))) {
    if (tool.name !== 'loadshape' && !existsSync(py(tool.name))) {
      console.error(`${tool.name}: not installed in ${PEERS_VENV} (bash scripts/engine/setup-peers.sh); skipped`);
      continue;
    }
    console.error(`${tool.name}: ${REQUESTS} requests, concurrency ${CONCURRENCY}, ${PROMPT_TOKENS} in / ${OUTPUT_TOKENS} out, TTFT ${TTFT_MS} ms, ${ITL_MS} ms per token`);
    try {
      rows.push(await runTool(tool));
    } catch (e) {
      console.error(`${tool.name}: FAILED: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  }
  // Errors are the tool's percentile minus the same percentile of the truth of its own run (each tool
  // gets a fresh server; its stamps say what the server really did, late sends included).
  const lines = [
    '| tool | version | CPU µs per streamed token | CPU s / wall s | peak RSS MB (tree) | achieved req/s (server) / its own | TTFT p50 / p99 error ms | ITL p50 / p99 error ms | it reports (ms): TTFT p50 / p99; ITL p50 / p99 | truth (ms): TTFT p50 / p99; ITL p50 / p99 | its names |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.tool} | ${r.version} | ${f(r.cpuUsPerToken, 1)} | ${f(r.cpuS, 1)} / ${f(r.wallS, 1)} | ${f(r.peakRssMb, 0)} | ${f(r.achievedRps)} / ${f(r.reportedRps)} | ` +
        `${err(r.reported.ttftP50Ms, r.truth.ttftP50Ms)} / ${err(r.reported.ttftP99Ms, r.truth.ttftP99Ms)} | ${err(r.reported.itlP50Ms, r.truth.itlP50Ms)} / ${err(r.reported.itlP99Ms, r.truth.itlP99Ms)} | ` +
        `${f(r.reported.ttftP50Ms)} / ${f(r.reported.ttftP99Ms)}; ${f(r.reported.itlP50Ms)} / ${f(r.reported.itlP99Ms)} | ` +
        `${f(r.truth.ttftP50Ms)} / ${f(r.truth.ttftP99Ms)}; ${f(r.truth.itlP50Ms)} / ${f(r.truth.itlP99Ms)} | ${r.reported.names} |`,
    ),
  ];
  console.log(lines.join('\n'));
  const dir = join(ROOT, 'results/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, requests: REQUESTS, concurrency: CONCURRENCY, promptTokens: PROMPT_TOKENS, outputTokens: OUTPUT_TOKENS, ttftMs: TTFT_MS, itlMs: ITL_MS, rows }, null, 2));
  console.error(`wrote ${file}`);
}

await main();
