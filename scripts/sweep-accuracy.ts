// Sweep accuracy (issue 8's acceptance), a wall-clock measurement and so a script, not a unit test:
// `loadshape sweep` against the embedded simulator on a fast setting finds a max rate within 10 % of
// the one the simulator's own model allows, and a far lower one for blocking. Run it on a quiet machine
// (a busy one puts the harness's own scheduling delays into a 33 ms TTFT bound):
//   npm run build && npx tsx scripts/sweep-accuracy.ts     (about 70 s; exits 1 when a check fails)
// The model's rate is computed in-process by driving the pure engine (src/sim/engine.ts) under a
// virtual clock with Poisson arrivals of the same requests and bisecting λ to where TTFT p95 meets the
// bound (test/sweep/model.ts): the same step-cost formula the simulator serves with
// (docs/simulator.md), without HTTP or real time. Sanity check from the formula: a request costs
// 0.67 ms × 20 decodes + 0.033 ms × 100 prompt tokens = 16.7 ms of step time, so throughput saturates
// near 60 req/s and TTFT p95 < 33 ms holds up to ~48 req/s; a one-slot blocking server holds a request
// for 43.3 ms, and queueing breaks the bound near 3 req/s.
//
// Why this setting: the boundary is a tail percentile of a queue near capacity, set by rare arrival
// bursts, so a sweep places it only as well as the number of requests it sees there; a third of the
// profile's step costs gives three times the requests per second of sweep. Faster still (a quarter)
// is no better on an idle machine and falls apart on a busy one: with another process holding a core,
// the harness's own scheduling delays (a few ms) eat a bound of 25 ms. See docs/sweep.md.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCli } from '../test/commands/helpers.js';
import { blocking, continuous, engineParams, modelMaxRate, parseConfig } from '../test/sweep/model.js';

const FIX = join(import.meta.dirname, '../test/sweep/fixtures');
let failed = 0;
/** A named check: printed either way, counted when it fails. */
function check(what: string, ok: boolean, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed++;
}
const BOUND_MS = 33;
const params = (f: string) => engineParams(parseConfig(parseYaml(readFileSync(join(FIX, f), 'utf8')), f));

function sweepArgs(simConfig: string, out: string, extra: string[] = []): string[] {
  return [
    'sweep', join(FIX, 'sweep.yaml'), '--sim-config', join(FIX, simConfig),
    '--slo', `ttft.p95 < ${BOUND_MS}ms`, '--slo', 'error_rate < 1%',
    '--step-duration', '8s', '--min-step-duration', '3s', '--steady-window', '1s', '--min-step-requests', '30',
    '--out', out, '--json', '--quiet', ...extra,
  ];
}

const modelCb = modelMaxRate(continuous(params('fast-cb.yaml')), BOUND_MS, 100, 20, 120);
const modelBlocking = modelMaxRate(blocking(params('fast-blocking.yaml')), BOUND_MS, 100, 20, 12);
check('model max rate of the continuous-batching fixture in 42–54 req/s', modelCb > 42 && modelCb < 54, `${modelCb.toFixed(2)} req/s`);

// Both sweeps at once (the blocking one sends a few requests per second), so the script takes as
// long as the continuous-batching sweep (about 70 s).
const out = mkdtempSync(join(tmpdir(), 'loadshape-sweep-'));
const started = performance.now();
const [cb, bl] = await Promise.all([
  runCli(sweepArgs('fast-cb.yaml', out, ['--max-steps', '12']), { timeoutMs: 130_000 }),
  runCli(sweepArgs('fast-blocking.yaml', out, ['--max-steps', '6', '--probe-concurrency', '8']), { timeoutMs: 130_000 }),
]);
check('continuous-batching sweep exits 0', cb.code === 0, cb.code === 0 ? '' : cb.stderr);
if (cb.code === 0) {
  const a = JSON.parse(cb.stdout) as {
    maxRateRps: number;
    maxOutputTps: number;
    bestPhase: string;
    steps: { phase: string; pass: boolean; role: string; load: { kind: string; rateRps?: number } }[];
  };
  const error = (a.maxRateRps - modelCb) / modelCb;
  console.log(
    `sweep continuous-batching: ${a.maxRateRps} req/s, model ${modelCb.toFixed(2)} req/s (${error >= 0 ? '+' : ''}${(error * 100).toFixed(1)} %), ` +
      `${a.maxOutputTps} out tok/s, ${a.steps.length} steps, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  check('max rate within 10 % of the model', Math.abs(error) <= 0.1, `${(error * 100).toFixed(1)} %`);
  // The rate reported is one the sweep measured holding: its step passed, at exactly that rate.
  const best = a.steps.find((s) => s.phase === a.bestPhase);
  check('the reported rate is a step that passed at exactly that rate', best?.pass === true && best.load.kind === 'open' && best.load.rateRps === a.maxRateRps);
  if (bl.code === 0) {
    const b = JSON.parse(bl.stdout) as { maxRateRps: number };
    console.log(`sweep blocking: ${b.maxRateRps} req/s (model ${modelBlocking.toFixed(2)})`);
    check('blocking: model and sweep far below continuous batching', modelBlocking < modelCb / 10 && b.maxRateRps > 0 && b.maxRateRps < a.maxRateRps / 4);
  }
}
check('blocking sweep exits 0', bl.code === 0, bl.code === 0 ? '' : bl.stderr);
process.exitCode = failed > 0 ? 1 : 0;
