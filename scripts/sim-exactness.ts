// Measures how exactly the simulator keeps its token deadlines under load: opens N concurrent
// streams (1,000 by default) against the fixed profile and prints p50/p99/max of the lag between
// each token's deadline and its hand-off to the kernel, as the simulator itself reports it.
// The client runs in a child process so its parsing does not steal the simulator's event loop,
// as it would not on a real deployment.
//
// First tokens are reported apart: their lag includes the intake of every request that arrived
// at the same moment (1,000 at once by default), while later tokens show the steady state.
// --ramp-ms spreads the stream starts evenly over that many milliseconds, as an arrival-rate
// load test would, instead of opening them all at once.
//
//   npx tsx scripts/sim-exactness.ts [--streams 1000] [--tokens 200] [--ttft-ms 50] [--itl-ms 10] [--ramp-ms 0]
import { fork } from 'node:child_process';
import net from 'node:net';
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
    'ramp-ms': { type: 'string', default: '0' },
    client: { type: 'string' },
  },
});
const streams = Number(values.streams);
const tokens = Number(values.tokens);
const rampMs = Number(values['ramp-ms']);

if (values.client !== undefined) {
  await runClient(values.client, streams, tokens);
} else {
  await runServer();
}

async function runServer(): Promise<void> {
  const ttftMs = Number(values['ttft-ms']);
  const itlMs = Number(values['itl-ms']);
  const expected = streams * tokens;
  const firstLags = new Float64Array(streams);
  const laterLags = new Float64Array(expected - streams);
  let firsts = 0;
  let laters = 0;
  const sim = await startSimulator({
    ttftMs,
    itlMs,
    onTokenSent: (lagMs, tokenIndex) => {
      if (tokenIndex === 0) {
        if (firsts < firstLags.length) firstLags[firsts] = lagMs;
        firsts++;
      } else {
        if (laters < laterLags.length) laterLags[laters] = lagMs;
        laters++;
      }
    },
  });
  process.stderr.write(
    `simulator at ${sim.url}: ${streams} streams × ${tokens} tokens, ttft ${ttftMs} ms, itl ${itlMs} ms, starts over ${rampMs} ms\n`,
  );

  const cpuBefore = process.cpuUsage();
  const wallStart = performance.now();
  const clientArgs = ['--client', sim.url, '--streams', String(streams), '--tokens', String(tokens), '--ramp-ms', String(rampMs)];
  const child = fork(fileURLToPath(import.meta.url), clientArgs, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const report = await new Promise<ClientReport>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ClientReport));
    child.once('exit', (code) => reject(new Error(`client exited with code ${code} before reporting`)));
  });
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuBefore);
  await sim.close();

  const recorded = firsts + laters;
  const all = new Float64Array(firsts + laters);
  all.set(firstLags.subarray(0, firsts));
  all.set(laterLags.subarray(0, laters), firsts);
  console.log(`streams completed ${report.completed}/${streams}, failed ${report.failed}${report.firstError ? ` (${report.firstError})` : ''}`);
  console.log(`tokens sent ${recorded} (expected ${expected}) in ${(wallMs / 1000).toFixed(2)} s`);
  // Includes the polling that waits out the last millisecond before each deadline.
  console.log(`simulator CPU ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(0)}% of one core`);
  console.log('token send lag behind deadline (ms):');
  console.log(summary('all tokens', all));
  console.log(summary('first tokens', firstLags.subarray(0, firsts)));
  console.log(summary('later tokens', laterLags.subarray(0, laters)));
  if (report.completed !== streams || recorded !== expected) process.exitCode = 1;
}

function summary(label: string, lags: Float64Array): string {
  const sorted = Float64Array.from(lags).sort();
  const n = sorted.length;
  const at = (q: number): string => sorted[Math.min(n - 1, Math.floor(q * n))].toFixed(3);
  return `  ${label.padEnd(13)} n=${String(n).padEnd(7)} p50 ${at(0.5)}  p90 ${at(0.9)}  p99 ${at(0.99)}  p99.9 ${at(0.999)}  max ${sorted[n - 1].toFixed(3)}`;
}

async function runClient(url: string, count: number, maxTokens: number): Promise<void> {
  // Raw sockets and a byte scan instead of an HTTP client: the client shares the machine's cores
  // with the simulator, and every cycle it spends parsing is one the simulator cannot use.
  const target = new URL(`${url}/chat/completions`);
  const body = JSON.stringify({
    model: 'loadshape-sim',
    messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
    max_tokens: maxTokens,
    stream: true,
    stream_options: { include_usage: true },
  });
  const request =
    `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  // The end of a chunked SSE body: the [DONE] event, its chunk's CRLF, then the zero-length chunk.
  const ending = 'data: [DONE]\n\n\r\n0\r\n\r\n';
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(target.port), target.hostname);
      socket.setNoDelay(true);
      let head = '';
      let tail = '';
      socket.on('connect', () => socket.write(request));
      socket.on('data', (buf: Buffer) => {
        if (head.length < 12) head += buf.toString('latin1', 0, 12);
        tail = (tail + buf.toString('latin1', Math.max(0, buf.length - ending.length))).slice(-ending.length);
        if (tail === ending) socket.destroy();
      });
      socket.on('close', () =>
        head.startsWith('HTTP/1.1 200') && tail === ending ? resolve() : reject(new Error(`response began "${head}", ended "${tail}"`)),
      );
      socket.on('error', reject);
    });
  const startAt = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const offsetMs = count > 1 ? (rampMs * i) / (count - 1) : 0;
      const waitMs = startAt + offsetMs - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      return one();
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  const report: ClientReport = {
    completed: count - failed.length,
    failed: failed.length,
    firstError: failed.length > 0 ? String(failed[0].reason) : null,
  };
  process.send!(report, () => process.exit(0));
}
