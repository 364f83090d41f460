// scripts/bench-live-parts.ts — the live view's and the endpoint's CPU, part by part, in this process
// (no server, no terminal): what the LiveTap adds per finished request on the measuring loop, and what
// one second of watching costs (the tap's tick, the model update, one frame of 120×40 and one scrape of
// the exposition text). Divided by a run's tokens per request and tokens per second, these give the
// extra CPU per streamed token without the noise of whole runs on a busy machine.
//
//   npx tsx scripts/bench-live-parts.ts [--tokens-per-request 150] [--tokens-per-s 100000]
import { performance } from 'node:perf_hooks';
import type { RequestRecord } from '../src/client/record.js';
import type { LiveView } from '../src/driver/sink.js';
import { renderFrame } from '../src/live/frame.js';
import { LiveModel } from '../src/live/model.js';
import { exposition } from '../src/live/prometheus.js';
import { LiveTap } from '../src/live/tap.js';
import { newHistogram } from '../src/metrics/histogram.js';
import type { PhasePlan } from '../src/schedule/phases.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => Number(args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const TOKENS_PER_REQUEST = arg('--tokens-per-request', '150');
const TOKENS_PER_S = arg('--tokens-per-s', '100000');

const plan: PhasePlan = { index: 0, name: 'steady', record: true, durationMs: 600_000, maxRequests: null, load: { kind: 'open', rateRps: 600, ramp: null, arrival: 'poisson', burstiness: 1, maxConcurrency: null } };
const classes = ['chat', 'rag', 'code'];
const records: RequestRecord[] = Array.from({ length: 1000 }, (_, i) => ({
  phase: 'steady', class: classes[i % 3], scheduledAtMs: i, sentAtMs: i, queueMs: (i % 7) / 10, ttftMs: 20 + (i % 180), firstChunkMs: 20 + (i % 180), tpotMs: 5 + (i % 30) / 3,
  e2eMs: 400 + (i % 900), promptTokens: 500, outputTokens: 150, outputTokensSource: 'usage', chunks: 150, finishReason: 'length',
  status: i % 97 === 0 ? 'error' : 'ok', errorClass: i % 97 === 0 ? 'http_5xx' : null, httpStatus: 200, validity: null, toolCalls: null,
}));
const view = (atMs: number): LiveView => ({ atMs, phase: plan, phaseStartedAtMs: 0, scheduled: atMs, started: atMs, sent: atMs, done: atMs, errors: 0, inFlight: 200, finished: [], dispatchLag: lag, stopped: false });
const lag = newHistogram();

const model = new LiveModel({ title: 'mixed → http://127.0.0.1:8000/v1' });
const tap = new LiveTap({ emit: (t) => model.apply(t) });
tap.phaseStart(plan, 0);

// Per record: the tap on the measuring loop.
const N = 2_000_000;
for (let i = 0; i < 100_000; i++) tap.record(records[i % 1000]); // warm up
let t0 = performance.now();
for (let i = 0; i < N; i++) tap.record(records[i % 1000]);
const recordNs = ((performance.now() - t0) * 1e6) / N;

// Per second: tick (into the model), one frame, one scrape; with a second's worth of records between ticks.
const SECONDS = 200;
let tickMs = 0;
let frameMs = 0;
let scrapeMs = 0;
let bytes = 0;
for (let s = 1; s <= SECONDS; s++) {
  for (let i = 0; i < 600; i++) tap.record(records[(s * 600 + i) % 1000]);
  t0 = performance.now();
  tap.tick(view(s * 1000));
  tickMs += performance.now() - t0;
  t0 = performance.now();
  renderFrame(model, 120, 40);
  frameMs += performance.now() - t0;
  t0 = performance.now();
  bytes = exposition(model, { team: 'infra' }).length;
  scrapeMs += performance.now() - t0;
}
tap.close(view(SECONDS * 1000 + 1));
const perSecondMs = (tickMs + frameMs + scrapeMs) / SECONDS;
const perTokenNs = recordNs / TOKENS_PER_REQUEST + (perSecondMs * 1e6) / TOKENS_PER_S;
process.stdout.write(
  `tap per finished request: ${recordNs.toFixed(0)} ns\n` +
    `per second: tick ${(tickMs / SECONDS).toFixed(3)} ms, frame ${(frameMs / SECONDS).toFixed(3)} ms, scrape ${(scrapeMs / SECONDS).toFixed(3)} ms (${bytes} bytes) = ${perSecondMs.toFixed(3)} ms (${(perSecondMs / 10).toFixed(3)} % of a core)\n` +
    `at ${TOKENS_PER_REQUEST} tokens per request and ${TOKENS_PER_S} tokens/s: ${perTokenNs.toFixed(1)} ns extra CPU per streamed token\n`,
);
