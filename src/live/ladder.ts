// The fixed bucket ladder of the Prometheus histograms (live/prometheus.ts): upper bounds in seconds
// from 1 ms to 10 min, six per decade (1, 1.5, 2, 3, 5, 7 × 10^k, then 600). Neighbouring bounds are
// at most 5/3 apart, so every value lies within 25 % of its bucket's middle and histogram_quantile's
// interpolation inside a bucket stays within ~30 % of the truth anywhere on the ladder; an SLO bound
// such as 500 ms, 2 s or 30 s is a bucket edge. Fixed, not derived
// from the run: dashboards and recording rules can rely on the same `le` values in every run.

const MANTISSAS = [1, 1.5, 2, 3, 5, 7];

function ladder(): number[] {
  const out: number[] = [];
  for (let exp = -3; exp <= 2; exp++) for (const m of MANTISSAS) {
    const s = Number((m * 10 ** exp).toPrecision(3));
    if (s < 600) out.push(s);
  }
  out.push(600); // 10 min: the longest request the client allows by default (--timeout-total 600s)
  return out;
}

/** Upper bounds (`le`) in seconds, ascending; +Inf is implied after the last. */
export const BUCKETS_S: readonly number[] = ladder();

/** Slot of a value in seconds: the first bound it does not exceed, BUCKETS_S.length for +Inf. */
export function bucketIndex(valueS: number): number {
  let lo = 0;
  let hi = BUCKETS_S.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (valueS <= BUCKETS_S[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
