import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Measures from the client side, over real HTTP, what a load tester would see: the time from
// the request body's last byte to the first content chunk (TTFT) and between content chunks.
const TTFT_MS = 50;
const PREFILL_MS_PER_TOKEN = 0.05;
const ITL_MS = 10;
const TOKENS = 20;
const CONCURRENCY = 16;

// The simulator runs in a child process, as it would beside a real load test: sharing the
// test's event loop would add the client's own work to every latency measured here.
let child: ChildProcess;
let sim: { url: string };

beforeAll(async () => {
  const entry = fileURLToPath(new URL('./fixtures/sim-process.ts', import.meta.url));
  child = fork(entry, [JSON.stringify({ ttftMs: TTFT_MS, itlMs: ITL_MS, prefillMsPerToken: PREFILL_MS_PER_TOKEN })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  sim = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string }));
    child.once('exit', (code) => reject(new Error(`simulator process exited with code ${code}`)));
  });
});

afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.disconnect();
  await exited;
});

interface Timeline {
  ttftMs: number;
  /** Gaps between consecutive content chunks. */
  gapsMs: number[];
  contentChunks: number;
}

/** Streams one chat completion, timestamping each content chunk as its bytes arrive. */
function timedStream(agent: http.Agent, promptWords: number, maxTokens: number): Promise<Timeline> {
  const body = JSON.stringify({
    model: 'loadshape-sim',
    messages: [{ role: 'user', content: 'w '.repeat(promptWords) }],
    max_tokens: maxTokens,
    stream: true,
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(`${sim.url}/chat/completions`),
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const arrivals: number[] = [];
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const at = performance.now();
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (event.includes('"content":"') && !event.includes('"content":""')) arrivals.push(at);
          }
        });
        res.on('end', () => {
          resolve({
            ttftMs: arrivals[0] - sentAtMs,
            gapsMs: arrivals.slice(1).map((t, i) => t - arrivals[i]),
            contentChunks: arrivals.length,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // Taken before the send, so a measured TTFT is never shorter than the real one; the
    // simulator's clock starts when the body is in, a fraction of a millisecond later on loopback.
    const sentAtMs = performance.now();
    req.end(body);
  });
}

/** Opens `count` keep-alive connections, so connection setup stays out of the measured times. */
async function warm(agent: http.Agent, count: number): Promise<void> {
  const base = sim.url.replace(/\/v1$/, '');
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          http.get(`${base}/health`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
        }),
    ),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The simulator is never early, and on time within bounds a busy 2-core machine meets (25 ms); its
// sub-millisecond exactness is measured by scripts/sim-exactness.ts on a quiet machine, not here.
const SLACK_MS = 25;

describe('simulator timing', () => {
  it(`keeps TTFT and inter-token gaps to the profile across ${CONCURRENCY} concurrent streams`, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    try {
      await warm(agent, CONCURRENCY);
      // Half the streams carry a 400-word prompt: their TTFT must include 400 × prefill.
      const promptWords = (i: number): number => (i % 2 === 0 ? 1 : 400);
      // Starts 2 ms apart: all 16 streams still overlap for most of their ~250 ms, but one client
      // thread cannot timestamp 16 sends made in the same instant to better than a millisecond.
      const round = (tokens: number) =>
        Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => sleep(i * 2).then(() => timedStream(agent, promptWords(i), tokens))));
      // The first rounds run on cold (not yet optimised) code in both processes; measure after them.
      await round(3);
      await round(3);
      const timelines = await round(TOKENS);

      for (const t of timelines) expect(t.contentChunks).toBe(TOKENS);
      const short = timelines.filter((_, i) => promptWords(i) === 1);
      const long = timelines.filter((_, i) => promptWords(i) === 400);
      const expectedShort = TTFT_MS + PREFILL_MS_PER_TOKEN * 1;
      const expectedLong = TTFT_MS + PREFILL_MS_PER_TOKEN * 400;

      // Never early (the server cannot send before its deadline).
      for (const t of short) expect(t.ttftMs).toBeGreaterThanOrEqual(expectedShort);
      for (const t of long) expect(t.ttftMs).toBeGreaterThanOrEqual(expectedLong);
      // Medians: one stream delayed by another process's time slice is not the simulator's doing.
      expect(median(short.map((t) => t.ttftMs))).toBeLessThan(expectedShort + SLACK_MS);
      expect(median(long.map((t) => t.ttftMs))).toBeLessThan(expectedLong + SLACK_MS);

      const gaps = timelines.flatMap((t) => t.gapsMs);
      expect(gaps).toHaveLength(CONCURRENCY * (TOKENS - 1));
      expect(Math.abs(median(gaps) - ITL_MS)).toBeLessThan(SLACK_MS);
      // Deadlines come from each stream's start, so the whole stream spans (TOKENS − 1) × ITL
      // no matter how individual gaps jitter: lateness never accumulates.
      const spans = timelines.map((t) => t.gapsMs.reduce((a, b) => a + b, 0));
      expect(Math.abs(median(spans) - (TOKENS - 1) * ITL_MS)).toBeLessThan(SLACK_MS);
    } finally {
      agent.destroy();
    }
  });

  it('delivers a non-streamed response when its last token would have been generated', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await warm(agent, 1);
      const timed = (maxTokens: number) =>
        new Promise<number>((resolve, reject) => {
          const body = JSON.stringify({ model: 'm', prompt: 'a b', max_tokens: maxTokens });
          const req = http.request(new URL(`${sim.url}/completions`), { method: 'POST', agent }, (res) => {
            res.resume().on('end', () => resolve(performance.now() - sentAtMs));
          });
          req.on('error', reject);
          const sentAtMs = performance.now();
          req.end(body);
        });
      await timed(1); // warm-up: the first non-streamed response runs on cold code
      const expected = TTFT_MS + PREFILL_MS_PER_TOKEN * 2 + (TOKENS - 1) * ITL_MS;
      const elapsed: number[] = [];
      for (let i = 0; i < 5; i++) elapsed.push(await timed(TOKENS));
      for (const e of elapsed) expect(e).toBeGreaterThanOrEqual(expected);
      // The median of five: one slice of CPU lost to another process is not the simulator's doing.
      expect(elapsed.sort((a, b) => a - b)[2]).toBeLessThan(expected + SLACK_MS);
    } finally {
      agent.destroy();
    }
  });
});
