// scripts/bench-live.ts — what watching a run costs: whole-process CPU per streamed token of a real
// `loadshape run` in a pseudo-terminal (util-linux `script`), with the plain progress line (`--no-live`)
// against the live view plus the Prometheus endpoint (`--live --metrics-listen`, scraped every second
// by this script, as a Prometheus would). Runs alternate A, B, A, B… so drift on a busy machine hits
// both alike; the figure is the ratio of the medians, and the spread of each side is printed as the noise.
// The client is pinned to core 0 and scripts/bench-server.ts to core 1 when `taskset` exists. CPU is
// user + sys of everything the shell waited for (the CLI, its re-exec, and `script` itself).
//
//   npm run build && npx tsx scripts/bench-live.ts                 # 4 runs per side, throughput-bound
//   npx tsx scripts/bench-live.ts --runs 2 --requests 2048         # quicker
//   npx tsx scripts/bench-live.ts --itl-ms 10 --requests 1500 --concurrency 64   # paced: a long run, few tokens per second
//   npx tsx scripts/bench-harness.ts --only live                  # the same, as a row of the harness bench
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBenchServer } from './bench-process.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface LiveBenchOptions {
  runs: number;
  requests: number;
  concurrency: number;
  itlMs: number;
}

export interface Side {
  name: string;
  flags: string[];
  cpuUsPerToken: number[];
  /** The measuring process during the run only. */
  runCpuUsPerToken: number[];
  wallS: number[];
  scrapes: number[];
}

function pinned(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
}

/** bash `times`: the children's user and sys (its last line). */
function childrenCpuS(out: string): number {
  const lines = out.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1]);
  if (!m) throw new Error(`cannot read CPU times from: ${out}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** Output tokens, and the measuring process's CPU over the run itself (the result's client sample: start-up, module loading and the terminal excluded), in seconds. */
function fromResult(dir: string): { tokens: number; runCpuS: number } {
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`no result in ${dir}`);
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { phases: { groups: { class: string; outputTokens: number }[] }[]; client: { cpuPercent: number; sched: { wallMs: number } | null } };
  const tokens = r.phases.reduce((s, p) => s + (p.groups.find((g) => g.class === '*')?.outputTokens ?? 0), 0);
  return { tokens, runCpuS: r.client.sched ? (r.client.cpuPercent / 100) * (r.client.sched.wallMs / 1000) : NaN };
}

/** One run in a pseudo-terminal of 120×40; with `scrapePort`, this process scrapes the endpoint every second meanwhile. */
async function runOnce(o: LiveBenchOptions, url: string, side: Side, pin: boolean, port: number | null): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'loadshape-bench-live-'));
  try {
    const cli = ['node', 'dist/cli.js', 'run', 'short', '--target', url, '--model', 'bench', '--concurrency', String(o.concurrency), '--requests', String(o.requests), '--server-metrics', 'none', '--workers', '1', '--out', dir, ...side.flags, ...(port !== null ? ['--metrics-listen', `127.0.0.1:${port}`] : [])];
    const inner = `stty cols 120 rows 40; CI= exec ${pin ? 'taskset -c 0 ' : ''}${cli.join(' ')}`;
    let scrapes = 0;
    const timer = port !== null ? setInterval(() => void fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).then(() => scrapes++, () => {}), 1000) : null;
    const t0 = performance.now();
    // execFileSync would block this process's event loop, and with it the scrapes: run bash asynchronously.
    const out = await new Promise<string>((res, rej) => {
      import('node:child_process').then(({ execFile }) =>
        execFile('bash', ['-c', `script -qfec ${JSON.stringify(inner)} /dev/null >/dev/null 2>&1; times`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout) => (err ? rej(err) : res(stdout))),
      );
    });
    const wallS = (performance.now() - t0) / 1000;
    if (timer) clearInterval(timer);
    const { tokens, runCpuS } = fromResult(dir);
    const cpuS = childrenCpuS(out);
    side.cpuUsPerToken.push((cpuS / tokens) * 1e6);
    side.runCpuUsPerToken.push((runCpuS / tokens) * 1e6);
    side.wallS.push(wallS);
    side.scrapes.push(scrapes);
    process.stderr.write(`${side.name}: ${((cpuS / tokens) * 1e6).toFixed(3)} µs CPU/token, ${((runCpuS / tokens) * 1e6).toFixed(3)} during the run (${tokens} tokens, ${cpuS.toFixed(2)} s CPU, ${wallS.toFixed(1)} s wall${port !== null ? `, ${scrapes} scrapes` : ''})\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Runs the comparison; returns the printed summary (and the per-run figures). */
export async function benchLive(o: LiveBenchOptions): Promise<{ summary: string; base: Side; live: Side }> {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const pin = pinned();
  const { url, proc } = await startBenchServer(pin, ['--ttft-ms', '0', '--itl-ms', String(o.itlMs), ...(o.itlMs === 0 ? ['--events-per-write', '8'] : [])]);
  const base: Side = { name: 'progress line (--no-live)', flags: ['--no-live'], cpuUsPerToken: [], runCpuUsPerToken: [], wallS: [], scrapes: [] };
  const live: Side = { name: 'live view + endpoint', flags: ['--live'], cpuUsPerToken: [], runCpuUsPerToken: [], wallS: [], scrapes: [] };
  try {
    for (let i = 0; i < o.runs; i++) {
      await runOnce(o, url, base, pin, null);
      await runOnce(o, url, live, pin, 19_464 + i);
    }
  } finally {
    proc.kill('SIGTERM');
  }
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
  const halfSpreadPct = (xs: number[]) => (((Math.max(...xs) - Math.min(...xs)) / 2 / median(xs)) * 100).toFixed(1);
  /** Per pair (runs i of each side, next to each other in time): the live side's extra, in %. */
  const pairs = (a: number[], b: number[]) => a.map((x, i) => ((b[i] - x) / x) * 100);
  const line = (what: string, a: number[], b: number[]) => {
    const extra = ((median(b) - median(a)) / median(a)) * 100;
    const p = pairs(a, b);
    return (
      `${what}: progress line median ${median(a).toFixed(3)} µs/token (runs ${spread(a)}), live view + endpoint ${median(b).toFixed(3)} (runs ${spread(b)})\n` +
      `  extra CPU per streamed token: ${extra.toFixed(2)} % of medians; per pair ${p.map((x) => x.toFixed(1)).join(', ')} % (median ${median(p).toFixed(2)} %); noise: runs of one side spread ±${halfSpreadPct(a)} % / ±${halfSpreadPct(b)} %\n`
    );
  };
  const summary =
    `${pin ? 'client on core 0, server on core 1' : 'unpinned'}; ${o.requests} requests of \`short\`, ${o.concurrency} streams, itl ${o.itlMs} ms, ${o.runs} runs per side (alternating); median wall ${median(base.wallS).toFixed(1)} / ${median(live.wallS).toFixed(1)} s, ${median(live.scrapes)} scrapes per live run\n` +
      line('whole process (start-up and the terminal included)', base.cpuUsPerToken, live.cpuUsPerToken) +
      line('measuring process during the run (result client sample)', base.runCpuUsPerToken, live.runCpuUsPerToken);
  return { summary, base, live };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string) => Number(args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const r = await benchLive({ runs: arg('--runs', '4'), requests: arg('--requests', '4096'), concurrency: arg('--concurrency', '256'), itlMs: arg('--itl-ms', '0') });
  process.stdout.write(r.summary);
}
