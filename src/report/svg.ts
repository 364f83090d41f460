// Inline SVG line charts for the HTML report (pure, no dependencies): a few hundred bytes of markup per
// series instead of an inlined chart library. Colours that read on light and dark backgrounds; axes
// and text take the page's colour through CSS.

export const PALETTE = ['#3b82f6', '#f97316', '#10b981', '#e11d48', '#a855f7', '#eab308', '#06b6d4', '#84cc16'];

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  /** [x, y]; a null y breaks the line. */
  points: [number, number | null][];
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  xLabel: string;
  series: Series[];
  /** Fixed x ticks (value, label); default: nice ticks of the data. */
  xTicks?: { v: number; label: string }[];
  /** Vertical markers (phase boundaries). */
  markers?: { x: number; label: string }[];
  /** Minimum x range (e.g. percentile axes always reach 99.9 %). */
  xMin?: number;
  xMax?: number;
  yFormat?: (v: number) => string;
}

const W = 600;
const H = 280;
const M = { l: 56, r: 14, t: 30, b: 52 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1-2-5 ticks from lo up to the first tick at or above hi. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // The last tick is the first at or above hi, so it can serve as the axis top.
  const last = Math.ceil(hi / step - 1e-9) * step;
  for (let v = Math.ceil(lo / step) * step; v <= last + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * A latency axis in one unit: ms ticks, or seconds (axis label "s") once the data passes a second, so
 * the label and the ticks never disagree (an E2E chart said "ms" over ticks reading "2.00s").
 */
export function latencyAxis(series: Series[]): { yLabel: string; yFormat: (v: number) => string } {
  const topMs = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1] ?? 0)));
  const plain = (v: number) => String(Number(v.toPrecision(3)));
  return topMs >= 1000 ? { yLabel: 's', yFormat: (v) => plain(v / 1000) } : { yLabel: 'ms', yFormat: plain };
}

export function lineChart(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => y !== null));
  const x0 = Math.min(spec.xMin ?? Infinity, ...xs);
  const x1 = Math.max(spec.xMax ?? -Infinity, ...xs, x0 + 1e-9);
  const yTicks = niceTicks(0, Math.max(...ys, 0) * 1.05 || 1);
  const y1 = Math.max(yTicks[yTicks.length - 1], 1e-9);
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - (y / y1) * (H - M.t - M.b);
  const fmtY = spec.yFormat ?? ((v: number) => String(Number(v.toPrecision(3))));
  const xTicks = spec.xTicks ?? niceTicks(x0, x1).map((v) => ({ v, label: String(v) }));
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}" data-series="${spec.series.length}">`);
  parts.push(`<text class="title" x="${M.l}" y="18">${esc(spec.title)}</text>`);
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${round1(py(t))}" y2="${round1(py(t))}"/>`);
    parts.push(`<text class="tick" x="${M.l - 6}" y="${round1(py(t)) + 4}" text-anchor="end">${esc(fmtY(t))}</text>`);
  }
  for (const t of xTicks) {
    if (t.v < x0 - 1e-9 || t.v > x1 + 1e-9) continue;
    parts.push(`<line class="grid" x1="${round1(px(t.v))}" x2="${round1(px(t.v))}" y1="${M.t}" y2="${H - M.b}"/>`);
    const anchor = px(t.v) > W - M.r - 20 ? 'end' : 'middle';
    parts.push(`<text class="tick" x="${round1(px(t.v))}" y="${H - M.b + 16}" text-anchor="${anchor}">${esc(t.label)}</text>`);
  }
  for (const mk of spec.markers ?? []) {
    if (mk.x < x0 || mk.x > x1) continue;
    parts.push(`<line class="marker" x1="${round1(px(mk.x))}" x2="${round1(px(mk.x))}" y1="${M.t}" y2="${H - M.b}"/>`);
    parts.push(`<text class="marker-label" x="${round1(px(mk.x)) + 3}" y="${M.t + 10}">${esc(mk.label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}"/>`);
  parts.push(`<line class="axis" x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}"/>`);
  parts.push(`<text class="label" x="${(M.l + W - M.r) / 2}" y="${H - 22}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  for (const s of spec.series) {
    // Lines break at null values; a point alone between breaks is drawn as a dot (zero-length segment, round cap).
    let d = '';
    let run = 0;
    let last = '';
    const endRun = () => {
      if (run === 1) d += `L${last}`;
      run = 0;
    };
    for (const [x, y] of s.points) {
      if (y === null) {
        endRun();
        continue;
      }
      last = `${round1(px(x))} ${round1(py(y))}`;
      d += `${run > 0 ? 'L' : 'M'}${last}`;
      run++;
    }
    endRun();
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''} data-name="${esc(s.name)}" data-points="${s.points.filter((p) => p[1] !== null).length}"><title>${esc(s.name)}</title></path>`,
    );
  }
  // Legend along the bottom.
  let lx = M.l;
  for (const s of spec.series) {
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${H - 6}" y2="${H - 6}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text class="legend" x="${lx + 22}" y="${H - 2}">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}
