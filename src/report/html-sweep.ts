// The HTML report's capacity section (pure): throughput against latency percentiles, one point per
// step (a sweep) or per recorded phase (a run with three or more loads), as inline SVG. For a sweep
// the stored answer (`result.sweep`) adds what the search judged: a horizontal line at each latency
// SLO's bound, steps that broke an SLO drawn as red crosses, the highest load that held and the knee
// marked, then the answer sentence and the step table. SLO texts are read with the gates' parser.
import type { MetricKey } from '../metrics/accumulator.js';
import { measure, parseSlo, type Slo } from '../gates/slo.js';
import type { GroupResult, PhaseResult, RunResult, SweepResult } from '../results/format.js';
import { describeLoad } from '../schedule/phases.js';
import { describeStepLoad } from '../sweep/answer.js';
import { fmtMs, fmtNum, fmtPct } from './fmt.js';
import { PALETTE, esc, niceTicks } from './svg.js';

/** One x position of the plot: a sweep step or a recorded phase. */
export interface CurveStep {
  phase: string;
  /** The offered load in words: "12.5 rps", "c=64". */
  load: string;
  /** Achieved successful requests per second. */
  x: number;
  outputTps: number;
  /** Every SLO held (true), one broke (false), nothing judged (null: a plain run). */
  pass: boolean | null;
  /**
   * Where the step sits on the line (offered load), or null: a point off the line, labelled with
   * `tag` (a rate sweep's closed-loop baseline and probe). Without any, the line follows x.
   */
  lineAt?: number | null;
  tag?: string;
}

export interface CurveSeries {
  name: string;
  color: string;
  dashed?: boolean;
  /** Latency in ms per step (aligned with `steps`); null: no data. */
  values: (number | null)[];
}

export interface SloLine {
  text: string;
  boundMs: number;
  /** The series that carries the SLO's value (its points at the best step get a ring). */
  series: number;
}

export interface CurveChartSpec {
  /** Unique in the page: ids of the chart's title and description derive from it. */
  id: string;
  title: string;
  desc: string;
  /** Latency axis: "TTFT" → "TTFT, ms (log scale)". */
  metric: string;
  steps: CurveStep[];
  series: CurveSeries[];
  sloLines?: SloLine[];
  /** Phase of the highest load that held, and of the knee. */
  best?: string | null;
  knee?: string | null;
}

const W = 760;
const H = 390;
const M = { l: 64, r: 20, t: 34, b: 88 };
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Log-axis ticks: 1-2-5 per decade (1 only past three decades; finer within one), the range snapped outward to ticks. */
export function logTicks(lo: number, hi: number): { min: number; max: number; ticks: number[] } {
  if (!(hi > lo)) {
    hi = lo * 1.5;
    lo = lo / 1.5;
  }
  const decades = Math.log10(hi / lo);
  const mant = decades > 3 ? [1] : decades > 0.9 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
  const cands: number[] = [];
  for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)) + 1; k++) for (const m of mant) cands.push(Number((m * 10 ** k).toPrecision(6)));
  const min = [...cands].reverse().find((c) => c <= lo * (1 + 1e-9)) ?? lo;
  const max = cands.find((c) => c >= hi * (1 - 1e-9)) ?? hi;
  return { min, max, ticks: cands.filter((c) => c >= min && c <= max) };
}

/** "83.8 ms", "1.08s" */
const msText = (v: number) => (v >= 1000 ? fmtMs(v) : `${fmtMs(v)} ms`);
// The axis says "ms": its ticks stay in ms ("2000", not "2s") so label and ticks never disagree.
const tickMs = (v: number) => String(Number(v.toPrecision(3)));

/** A cross centred on (x, y). */
const cross = (x: number, y: number, s = 4.5) => `M${r1(x - s)} ${r1(y - s)}L${r1(x + s)} ${r1(y + s)}M${r1(x - s)} ${r1(y + s)}L${r1(x + s)} ${r1(y - s)}`;

/** Throughput (x, linear) against latency (y, log): a line and a marker per series and step, SLO lines, max and knee. */
export function curveChart(spec: CurveChartSpec): string {
  const slos = spec.sloLines ?? [];
  const ys = [...spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0)), ...slos.map((l) => l.boundMs).filter((b) => b > 0)];
  if (spec.steps.length === 0 || ys.length === 0) return '';
  // A little headroom: a point or an SLO line never sits on the frame.
  const yAxis = logTicks(Math.min(...ys) / 1.1, Math.max(...ys) * 1.1);
  const xTicks = niceTicks(0, Math.max(...spec.steps.map((s) => s.x), 0) * 1.05 || 1);
  const xMax = xTicks[xTicks.length - 1];
  const plot = { l: M.l, r: W - M.r, t: M.t, b: H - M.b };
  const px = (x: number) => plot.l + (x / xMax) * (plot.r - plot.l);
  const py = (v: number) => plot.b - ((Math.log10(v) - Math.log10(yAxis.min)) / (Math.log10(yAxis.max) - Math.log10(yAxis.min))) * (plot.b - plot.t);
  const at = (i: number) => (spec.steps[i].lineAt === undefined ? spec.steps[i].x : spec.steps[i].lineAt!);
  const order = spec.steps.map((_, i) => i).filter((i) => spec.steps[i].lineAt !== null).sort((a, b) => at(a) - at(b));
  const all = spec.steps.map((_, i) => i);
  const p: string[] = [];
  p.push(
    `<svg class="chart curve-chart" id="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${esc(spec.id)}-title ${esc(spec.id)}-desc"` +
      ` data-steps="${spec.steps.length}" data-y-scale="log" data-y-min="${yAxis.min}" data-y-max="${yAxis.max}" data-plot="${plot.l} ${plot.t} ${plot.r} ${plot.b}">`,
  );
  p.push(`<title id="${esc(spec.id)}-title">${esc(spec.title)}</title><desc id="${esc(spec.id)}-desc">${esc(spec.desc)}</desc>`);
  p.push(`<text class="title" x="${M.l}" y="18">${esc(spec.title)}</text>`);
  for (const t of yAxis.ticks) {
    const y = r1(py(t));
    p.push(`<line class="grid" data-ms="${t}" x1="${plot.l}" x2="${plot.r}" y1="${y}" y2="${y}"/><text class="tick" x="${plot.l - 6}" y="${y + 4}" text-anchor="end">${esc(tickMs(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = r1(px(t));
    p.push(`<line class="grid" x1="${x}" x2="${x}" y1="${plot.t}" y2="${plot.b}"/><text class="tick" x="${x}" y="${plot.b + 16}" text-anchor="${x > plot.r - 20 ? 'end' : 'middle'}">${esc(String(t))}</text>`);
  }
  p.push(`<line class="axis" x1="${plot.l}" x2="${plot.r}" y1="${plot.b}" y2="${plot.b}"/><line class="axis" x1="${plot.l}" x2="${plot.l}" y1="${plot.t}" y2="${plot.b}"/>`);
  p.push(`<text class="label" x="${(plot.l + plot.r) / 2}" y="${plot.b + 34}" text-anchor="middle">completed rps (successful requests per second)</text>`);
  p.push(`<text class="label" transform="translate(16 ${(plot.t + plot.b) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.metric)}, ms (log scale)</text>`);

  // The best load and the knee: vertical lines with their labels along the top of the plot.
  const stepOf = (phase: string | null | undefined) => spec.steps.find((s) => s.phase === phase);
  const best = stepOf(spec.best);
  const knee = stepOf(spec.knee);
  if (knee && knee !== best) {
    const x = r1(px(knee.x));
    p.push(`<line class="knee-line" data-phase="${esc(knee.phase)}" x1="${x}" x2="${x}" y1="${plot.t}" y2="${plot.b}"/><text class="knee-label" x="${x + 3}" y="${plot.t + 11}">knee</text>`);
  }
  if (best) {
    const x = r1(px(best.x));
    const label = `max ${best.load} · ${fmtNum(best.x)} req/s${knee === best ? ' · knee' : ''}`;
    // Right of the line where the label fits (about 6.3 units per character), else left of it.
    const anchor = x + 3 + label.length * 6.3 <= plot.r ? 'start' : 'end';
    p.push(`<line class="best-line" data-phase="${esc(best.phase)}" x1="${x}" x2="${x}" y1="${plot.t}" y2="${plot.b}"/><text class="best-label" x="${anchor === 'end' ? x - 3 : x + 3}" y="${plot.t + 24}" text-anchor="${anchor}">${esc(label)}</text>`);
  }
  // SLO lines, labelled at the right end above the line.
  slos.forEach((l) => {
    const y = r1(py(l.boundMs));
    p.push(
      `<g class="slo"><line class="slo-line" data-slo="${esc(l.text)}" data-bound-ms="${l.boundMs}" x1="${plot.l}" x2="${plot.r}" y1="${y}" y2="${y}"/>` +
        `<text class="slo-label" x="${plot.r - 4}" y="${y - 4}" text-anchor="end">SLO ${esc(l.text)}</text></g>`,
    );
  });
  // Series: a line through the steps in load order, a marker per step (on the line or not).
  spec.series.forEach((s, si) => {
    let d = '';
    let pen = false;
    for (const i of order) {
      const v = s.values[i];
      if (v === null || !(v > 0)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${r1(px(spec.steps[i].x))} ${r1(py(v))}`;
      pen = true;
    }
    p.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.75" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''} data-name="${esc(s.name)}"><title>${esc(s.name)}</title></path>`);
    const ringed = slos.some((l) => l.series === si);
    for (const i of all) {
      const v = s.values[i];
      if (v === null || !(v > 0)) continue;
      const st = spec.steps[i];
      const x = px(st.x);
      const y = py(v);
      const verdict = st.pass === null ? '' : st.pass ? ' · held the SLOs' : ' · broke an SLO';
      const tip = `${s.name} ${msText(v)} · ${st.phase} (${st.load}) · ${fmtNum(st.x)} req/s · ${fmtNum(st.outputTps)} output tok/s${verdict}`;
      const data = `data-phase="${esc(st.phase)}" data-series="${esc(s.name)}" data-ms="${Number(v.toPrecision(6))}"`;
      if (st.pass === false) p.push(`<path class="pt fail" ${data} d="${cross(x, y)}"><title>${esc(tip)}</title></path>`);
      else p.push(`<circle class="pt${st.pass ? ' pass' : ''}" ${data} cx="${r1(x)}" cy="${r1(y)}" r="3.5" fill="${s.color}"><title>${esc(tip)}</title></circle>`);
      if (ringed && st === best) p.push(`<circle class="ring" data-phase="${esc(st.phase)}" cx="${r1(x)}" cy="${r1(y)}" r="8"/>`);
    }
  });
  // Off-line points are labelled once, under their lowest value (above the highest near the x axis).
  for (const st of spec.steps) {
    if (st.lineAt !== null || !st.tag) continue;
    const i = spec.steps.indexOf(st);
    const vals = spec.series.map((s) => s.values[i]).filter((v): v is number => v !== null && v > 0);
    if (vals.length === 0) continue;
    const x = px(st.x);
    const below = py(Math.min(...vals)) + 16;
    const y = below <= plot.b - 3 ? below : py(Math.max(...vals)) - 8;
    const anchor = x < plot.l + 40 ? 'start' : x > plot.r - 40 ? 'end' : 'middle';
    p.push(`<text class="tag" data-phase="${esc(st.phase)}" x="${r1(x)}" y="${r1(y)}" text-anchor="${anchor}">${esc(st.tag)}</text>`);
  }
  p.push(...curveLegend(spec, best, knee));
  p.push('</svg>');
  return p.join('');
}

/** The legend under a curve chart: the series, then what the marks mean. */
function curveLegend(spec: CurveChartSpec, best: CurveChartSpec['steps'][number] | undefined, knee: CurveChartSpec['steps'][number] | undefined): string[] {
  const p: string[] = [];
  const slos = spec.sloLines ?? [];
  let lx = M.l;
  const row1 = H - 30;
  for (const s of spec.series) {
    p.push(`<line x1="${r1(lx)}" x2="${r1(lx + 18)}" y1="${row1 - 4}" y2="${row1 - 4}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text class="legend" x="${r1(lx + 22)}" y="${row1}">${esc(s.name)}</text>`);
    lx += 34 + s.name.length * 6.3;
  }
  const row2 = H - 10;
  lx = M.l;
  const judged = spec.steps.some((s) => s.pass !== null);
  const y2 = row2 - 4;
  const keys: [(x: number) => string, string][] = [];
  if (judged) {
    keys.push([(x) => `<circle class="key-dot" cx="${x + 6}" cy="${y2}" r="3.5"/>`, 'held every SLO']);
    keys.push([(x) => `<path class="pt fail" d="${cross(x + 6, y2)}"/>`, 'broke an SLO']);
  }
  if (slos.length) keys.push([(x) => `<line class="slo-line" x1="${x - 4}" x2="${x + 16}" y1="${y2}" y2="${y2}"/>`, 'SLO bound']);
  if (best) keys.push([(x) => `<line class="best-line" x1="${x + 6}" x2="${x + 6}" y1="${y2 - 8}" y2="${y2 + 6}"/>`, 'highest load that held']);
  if (knee && knee !== best) keys.push([(x) => `<line class="knee-line" x1="${x + 6}" x2="${x + 6}" y1="${y2 - 8}" y2="${y2 + 6}"/>`, 'knee']);
  for (const [mark, text] of keys) {
    p.push(`<g class="key">${mark(r1(lx))}<text class="legend" x="${r1(lx + 22)}" y="${row2}">${esc(text)}</text></g>`);
    lx += 34 + text.length * 6.3;
  }
  return p;
}

const LATENCY_LABEL: Partial<Record<MetricKey, string>> = {
  ttftMs: 'TTFT',
  tpotMs: 'TPOT',
  e2eMs: 'E2E',
  queueMs: 'queue',
  interChunkMs: 'inter-chunk gap',
  firstChunkMs: 'first chunk',
  ttftFromScheduleMs: 'TTFT from schedule',
  e2eFromScheduleMs: 'E2E from schedule',
};
const STATS = [
  ['p50Ms', 50, false],
  ['p95Ms', 95, false],
  ['p99Ms', 99, true],
] as const;

const allGroup = (p: PhaseResult | undefined): GroupResult | undefined => p?.groups.find((g) => g.class === '*');

/** p50/p95/p99 of one latency metric per step, from each step's all-classes group. */
function percentileSeries(label: string, key: MetricKey, phases: (PhaseResult | undefined)[]): CurveSeries[] {
  return STATS.map(([stat, pct, dashed], i) => ({
    name: `${label} p${pct}`,
    color: PALETTE[i],
    dashed,
    values: phases.map((p) => {
      const g = allGroup(p);
      return g && g.metrics[key].count > 0 ? g.metrics[key][stat] : null;
    }),
  }));
}

/** The SLOs of a stored sweep, parsed: from the steps' checks (text as written + class), else from the `slos` texts. */
export function sweepSlos(s: SweepResult): Slo[] {
  const out: Slo[] = [];
  const checks = s.steps.find((x) => x.checks)?.checks;
  const texts = checks ? checks.map((c) => ({ text: c.slo, cls: c.class })) : s.slos.map((t) => ({ text: t, cls: null }));
  for (const { text, cls } of texts) {
    try {
      const slo = parseSlo(text, 'sweep');
      if (cls !== null) slo.class = cls === '*' ? null : cls;
      out.push(slo);
    } catch {
      // A text this parser cannot read draws no line; the answer above still names it.
    }
  }
  return out;
}

/** The SLO's value on each step: stored by the sweep when present, else measured from the phase's histograms. */
function sloValues(slo: Slo, sweep: SweepResult | null, phases: (PhaseResult | undefined)[]): (number | null)[] {
  return phases.map((p, i) => {
    const stored = sweep?.steps[i]?.checks?.find((c) => c.slo === slo.text && c.class === (slo.class ?? '*'));
    if (stored) return stored.measured;
    const g = p?.groups.find((x) => x.class === (slo.class ?? '*'));
    return g ? measure(slo, g) : null;
  });
}

/** One chart per latency metric: TTFT always, then each other metric a latency SLO names. */
function curveCharts(steps: CurveStep[], phases: (PhaseResult | undefined)[], slos: Slo[], sweep: SweepResult | null, idPrefix: string): string[] {
  const latency = slos.filter((s) => s.kind === 'latency' && s.latency);
  const keys: MetricKey[] = ['ttftMs'];
  for (const s of latency) if (!keys.includes(s.latency!.key)) keys.push(s.latency!.key);
  return keys.map((key) => {
    const label = LATENCY_LABEL[key] ?? key;
    const series = percentileSeries(label, key, phases);
    const lines: SloLine[] = [];
    for (const slo of latency.filter((s) => s.latency!.key === key)) {
      const st = slo.latency!.stat;
      // p50/p95/p99 of all classes are drawn already; any other statistic or class gets its own series.
      let at = slo.class === null && st.kind === 'percentile' ? STATS.findIndex(([, pct]) => pct === st.p) : -1;
      if (at < 0) {
        series.push({ name: `${slo.metric}${slo.class ? ` [${slo.class}]` : ''} (SLO)`, color: PALETTE[(series.length + 1) % PALETTE.length], values: sloValues(slo, sweep, phases) });
        at = series.length - 1;
      }
      lines.push({ text: slo.text.includes('class=') || !slo.class ? slo.text : `${slo.text} class=${slo.class}`, boundMs: slo.bound, series: at });
    }
    const passing = steps.filter((s) => s.pass === true).length;
    const failing = steps.filter((s) => s.pass === false).length;
    const best = sweep?.bestPhase ? steps.find((s) => s.phase === sweep.bestPhase) : undefined;
    const desc = [
      `${label} p50, p95 and p99 in ms (log scale) against the completed rate (successful requests per second), one point per ${sweep ? 'sweep step' : 'recorded phase'} (${steps.length}).`,
      sweep ? `${passing} steps held every SLO, ${failing} broke one (drawn as red crosses).` : '',
      lines.length ? `SLO lines: ${lines.map((l) => `${l.text} at ${msText(l.boundMs)}`).join('; ')}.` : '',
      best ? `Highest load that held: ${best.phase} at ${fmtNum(best.x)} req/s.` : sweep ? 'No load held the SLOs.' : '',
      sweep?.knee ? `Knee: ${sweep.knee.phase}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return curveChart({
      id: `${idPrefix}-${key}`,
      title: `Throughput vs ${label} percentiles${sweep ? ' · sweep steps' : ' · per phase'}`,
      desc,
      metric: label,
      steps,
      series,
      sloLines: lines,
      best: sweep?.bestPhase ?? null,
      knee: sweep?.knee?.phase ?? null,
    });
  });
}

function stepTable(s: SweepResult, slos: Slo[]): string {
  const rank = (x: SweepResult['steps'][number]) => (x.role === 'baseline' ? 0 : x.role === 'probe' ? 1 : 2);
  const load = (x: SweepResult['steps'][number]) => (x.load.kind === 'closed' ? x.load.concurrency : x.load.rateRps);
  const ordered = [...s.steps].sort((a, b) => rank(a) - rank(b) || load(a) - load(b));
  const head = ['step', 'role', 'offered load', 'sent rps', 'completed rps', 'out tok/s', 'TTFT p50', 'TTFT p95', 'TTFT p99', ...slos.map((x) => x.text + (x.class && !x.text.includes('class=') ? ` [${x.class}]` : '')), 'errors', 'SLOs', 'ended'];
  const rows = ordered.map((x) => {
    const mark = [x.phase === s.bestPhase ? ' ◀ max' : '', x.phase === s.knee?.phase ? ' ◀ knee' : ''].join('');
    const cells = [
      `<td>${esc(x.phase)}<b>${esc(mark)}</b></td>`,
      `<td>${esc(x.role)}</td>`,
      `<td>${esc(describeStepLoad(x.load))}</td>`,
      `<td>${x.sentRps === undefined || x.sentRps === null ? '-' : esc(fmtNum(x.sentRps))}</td>`,
      `<td>${esc(fmtNum(x.achievedRps))}</td>`,
      `<td>${esc(fmtNum(x.outputTps))}</td>`,
      ...[x.ttftP50Ms, x.ttftP95Ms, x.ttftP99Ms].map((v) => `<td>${v === null ? '-' : esc(fmtMs(v))}</td>`),
      ...slos.map((slo, i) => {
        const c = x.checks?.[i];
        if (!c) return '<td>-</td>';
        const v = c.measured === null ? 'no data' : slo.kind === 'latency' ? msText(c.measured) : slo.kind === 'rate' ? fmtPct(c.measured) : `${fmtNum(c.measured)}/s`;
        return `<td class="${c.pass ? '' : 'fail'}">${esc(v)}</td>`;
      }),
      `<td>${esc(fmtPct(x.errorRate))}</td>`,
      `<td class="${x.pass ? 'pass' : 'fail'}" title="${esc([...x.failed, ...(x.clientWhy ? [x.clientWhy] : [])].join('; '))}">${x.saturated ? 'FAIL (saturated)' : !x.pass ? 'FAIL' : x.clientSaturated ? 'pass, client saturated: not an answer' : 'pass'}</td>`,
      `<td class="muted">${esc(x.stop.split(':')[0])}</td>`,
    ];
    return `<tr data-phase="${esc(x.phase)}">${cells.join('')}</tr>`;
  });
  return `<div class="scroll"><table class="sweep-steps"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table></div>`;
}

function classTable(s: SweepResult): string {
  if (s.classes.length === 0) return '';
  const head = ['class', 'reqs', 'completed rps (whole step)', 'out tok/s', 'TTFT p50', 'TTFT p95', 'TPOT p95', 'errors'];
  const ms = (v: number | null) => (v === null ? '-' : fmtMs(v));
  const rows = s.classes.map((c) => [c.class, String(c.requests), fmtNum(c.achievedRps), fmtNum(c.outputTps), ms(c.ttftP50Ms), ms(c.ttftP95Ms), ms(c.tpotP95Ms), fmtPct(c.errorRate)]);
  return `<h3>per class at ${esc(s.bestPhase ?? '')}</h3><div class="scroll"><table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table></div>`;
}

/** A sweep's result: the answer, the throughput–latency plot(s) with the SLO lines, the steps, the per-class breakdown. */
export function sweepSection(r: RunResult): string {
  const s = r.sweep;
  if (!s) return '';
  const slos = sweepSlos(s);
  const phases = s.steps.map((x) => r.phases.find((p) => p.name === x.phase));
  // The line runs through the searched load model's steps by offered load; a rate sweep's
  // closed-loop baseline and probe are points of their own.
  const steps: CurveStep[] = s.steps.map((x) => {
    const offLine = s.by === 'rate' && x.load.kind === 'closed';
    return {
      phase: x.phase,
      load: describeStepLoad(x.load),
      x: x.achievedRps,
      outputTps: x.outputTps,
      pass: x.pass,
      lineAt: offLine ? null : x.load.kind === 'closed' ? x.load.concurrency : x.load.rateRps,
      tag: offLine ? `${x.role} ${describeStepLoad(x.load)}` : undefined,
    };
  });
  const charts = curveCharts(steps, phases, slos, s, 'sweep').filter(Boolean);
  const out = [
    '<h2>Capacity (sweep)</h2>',
    `<p class="answer ${s.bestPhase ? 'pass' : 'fail'}">${esc(s.sentence)}</p>`,
    `<ul class="notes">${[
      s.boundedBy.length ? `bounded by: ${s.boundedBy.join('; ')}` : '',
      s.knee ? `knee: ${s.knee.phase} (${s.by === 'rate' ? `${s.knee.load} rps` : `c=${s.knee.load}`}, ${fmtNum(s.knee.achievedRps)} req/s): the most throughput per unit of latency` : '',
      `sweep by ${s.by}, ${s.steps.length} steps, stopped: ${s.stoppedBy}`,
    ]
      .filter(Boolean)
      .map((x) => `<li>${esc(x)}</li>`)
      .join('')}</ul>`,
    charts.length ? `<div class="curves">${charts.join('')}</div>` : '<p class="muted">no latency data in the steps</p>',
    stepTable(s, slos),
    classTable(s),
  ];
  return out.join('\n');
}

/** A run with three or more recorded phases at different loads: the same plot per phase, nothing judged. */
export function loadCurveSection(r: RunResult): string {
  if (r.sweep) return '';
  const phases = r.phases.filter((p) => p.record && (allGroup(p)?.ok ?? 0) > 0);
  if (new Set(phases.map((p) => describeLoad(p.load))).size < 3) return '';
  const steps: CurveStep[] = phases.map((p) => {
    const g = allGroup(p)!;
    return { phase: p.name, load: describeLoad(p.load), x: g.throughput.requestsPerS, outputTps: g.throughput.outputTokensPerS, pass: null };
  });
  const charts = curveCharts(steps, phases, [], null, 'phases').filter(Boolean);
  return charts.length ? `<h2>Throughput vs latency</h2><div class="curves">${charts.join('')}</div>` : '';
}
