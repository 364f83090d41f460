// Measures how exactly the simulator keeps its token deadlines under load: opens N concurrent
// streams (1,000 by default) against the fixed profile and prints p50/p99/max of the lag between
// each token's deadline and its hand-off to the kernel, as the simulator itself reports it.
// The client runs in a child process so its parsing does not steal the simulator's event loop,
// as it would not on a real deployment.
//
//   npx tsx scripts/sim-exactness.ts [--streams 1000] [--tokens 200] [--ttft-ms 50] [--itl-ms 10]
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from '../src/sim/server.js';

interface ClientReport {
  completed: number;
  failed: number;
  firstError: string | null;
}

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    tokens: { type: 'string', default: '200' },
    'ttft-ms': { type: 'string', default: '50' },
    'itl-ms': { type: 'string', default: '10' },
    client: { type: 'string' },
  },
});
const streams = Number(values.streams);
const tokens = Number(values.tokens);

if (values.client !== undefined) {
  await runClient(values.client, streams, tokens);
} else {
  await runServer();
}

async function runServer(): Promise<void> {
  const ttftMs = Number(values['ttft-ms']);
  const itlMs = Number(values['itl-ms']);
  const expected = streams * tokens;
  const lags = new Float64Array(expected);
  let recorded = 0;
  const sim = await startSimulator({
    ttftMs,
    itlMs,
    onTokenSent: (lagMs) => {
      if (recorded < lags.length) lags[recorded] = lagMs;
      recorded++;
    },
  });
  process.stderr.write(`simulator at ${sim.url}: ${streams} streams × ${tokens} tokens, ttft ${ttftMs} ms, itl ${itlMs} ms\n`);

  const cpuBefore = process.cpuUsage();
  const wallStart = performance.now();
  const child = fork(fileURLToPath(import.meta.url), ['--client', sim.url, '--streams', String(streams), '--tokens', String(tokens)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = await new Promise<ClientReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ClientReport));
    child.once('exit', (code) => reject(new Error(`client exited with code ${code} before reporting`)));
  });
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuBefore);
  await sim.close();

  const n = Math.min(recorded, lags.length);
  const sorted = lags.subarray(0, n).sort();
  const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))];
  const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;
  console.log(`streams completed ${report.completed}/${streams}, failed ${report.failed}${report.firstError ? ` (${report.firstError})` : ''}`);
  console.log(`tokens sent ${recorded} (expected ${expected}) in ${(wallMs / 1000).toFixed(2)} s`);
  console.log(`simulator CPU ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(0)}% of one core`);
  console.log(`token send lag behind deadline: p50 ${fmt(at(0.5))}  p90 ${fmt(at(0.9))}  p99 ${fmt(at(0.99))}  p99.9 ${fmt(at(0.999))}  max ${fmt(sorted[n - 1])}`);
  if (report.completed !== streams || recorded !== expected) process.exitCode = 1;
}

async function runClient(url: string, count: number, maxTokens: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const body = JSON.stringify({
    model: 'loadshape-sim',
    messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  const target = new URL(`${url}/chat/completions`);
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let tail = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => {
            tail = (tail + s).slice(-32);
          });
          res.on('end', () => (res.statusCode === 200 && tail.endsWith('data: [DONE]\n\n') ? resolve() : reject(new Error(`status ${res.statusCode}, ended "${tail}"`))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const results = await Promise.allSettled(Array.from({ length: count }, one));
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  const report: ClientReport = {
    completed: count - failed.length,
    failed: failed.length,
    firstError: failed.length > 0 ? String(failed[0].reason) : null,
  };
  agent.destroy();
  process.send!(report, () => process.exit(0));
}
