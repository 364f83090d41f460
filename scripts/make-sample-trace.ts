// Writes workloads/traces/sample.csv: the small bundled trace `run --trace` is tested with.
// Deterministic (seeded; no Math.random): `npx tsx scripts/make-sample-trace.ts` rewrites the same bytes.
// 300 rows over about 20 s: Poisson arrivals (a gamma renewal of shape 1; lower shapes clump), mean 15 req/s;
// lognormal prompt (mean ~400 tokens) and answer (mean ~120 tokens) lengths, a quarter of the rows
// marked class `long` with longer prompts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gamma, normal, rngFor } from '../src/util/rng.js';

const ROWS = 300;
const MEAN_RATE_RPS = 15;
const SHAPE = 1;
const rng = rngFor(20240501, 0x5452, 0x4143); // "TR" "AC"

function lognormal(mean: number, stddev: number, min: number, max: number): number {
  const s2 = Math.log(1 + (stddev * stddev) / (mean * mean));
  const mu = Math.log(mean) - s2 / 2;
  return Math.min(max, Math.max(min, Math.round(Math.exp(mu + Math.sqrt(s2) * normal(rng)))));
}

const lines = ['timestamp,input_tokens,output_tokens,class'];
let tS = 0;
for (let i = 0; i < ROWS; i++) {
  if (i > 0) tS += gamma(rng, SHAPE) / SHAPE / MEAN_RATE_RPS;
  const long = rng() < 0.25;
  const input = long ? lognormal(1500, 600, 256, 4000) : lognormal(300, 200, 16, 2000);
  const output = lognormal(120, 60, 8, 512);
  lines.push(`${tS.toFixed(6)},${input},${output},${long ? 'long' : 'chat'}`);
}
const out = fileURLToPath(new URL('../workloads/traces/sample.csv', import.meta.url));
writeFileSync(out, `${lines.join('\n')}\n`);
process.stderr.write(`wrote ${out} (${ROWS} rows, ${tS.toFixed(1)} s)\n`);
