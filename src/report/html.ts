// The self-contained HTML report (pure): one file, styles inline, charts as inline SVG, no script and
// no network fetch, readable in light and dark (prefers-color-scheme). For one run: metadata, summary
// tables (with TTFT by turn for conversation classes), percentile curves per phase (one line per class) and the time series; a sweep's answer with
// its throughput–latency plot and SLO lines first (html-sweep.ts). For a comparison:
// the compare tables, then the same charts with the runs overlaid in distinct colours.
import type { Histogram } from '../metrics/histogram.js';
import { decodeHistogram } from '../metrics/histogram.js';
import type { GroupResult, PhaseResult, RunResult } from '../results/format.js';
import { describeLagWhen } from '../results/client-verdict.js';
import type { CompareResult } from './compare.js';
import { compareGroupName, compareHeadline, ratesLine, runDescription, shownCompareGroups } from './compare-render.js';
import type { Violation } from './failon.js';
import { fmtChange, fmtInterval, fmtMs, fmtValue } from './fmt.js';
import { PALETTE, esc, latencyAxis, lineChart, type Series } from './svg.js';
import { SUMMARY_COLUMNS, TURN_HEADERS, phaseHeading, shownGroups, soleClass, turnCells } from './text.js';
import { serverMetricsCharts } from './servermetrics-html.js';
import { loadCurveSection, sweepSection } from './html-sweep.js';

export interface HtmlRun {
  id: string;
  file: string;
  result: RunResult;
}

const CURVE_METRICS = [
  ['ttftMs', 'TTFT'],
  ['tpotMs', 'TPOT'],
  ['e2eMs', 'E2E'],
] as const;

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#656d76;--grid:#d0d7de;--card:#f6f8fa;--bad:#cf222e;--good:#1a7f37}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--grid:#30363d;--card:#161b22;--bad:#ff7b72;--good:#3fb950}}
body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--grid);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:6px 0 12px;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid var(--grid);text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
th{background:var(--card)}.meta td{text-align:left;white-space:normal}.muted{color:var(--muted)}
.worse{color:var(--bad);font-weight:600}.better{color:var(--good)}.notes li{color:var(--muted)}.fail{color:var(--bad);font-weight:600}.pass{color:var(--good);font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.chart{width:100%;height:auto;background:var(--card);border-radius:6px}
.chart text{fill:var(--fg);font-size:11px}.chart .title{font-size:13px;font-weight:600}.chart .tick,.chart .label{fill:var(--muted)}
.chart .grid{stroke:var(--grid);stroke-width:1}.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .marker{stroke:var(--muted);stroke-dasharray:3 3}.chart .marker-label{fill:var(--muted);font-size:10px}
.scroll{overflow-x:auto}
.curves{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px;margin:8px 0 12px}
.chart .slo-line{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:8 4}.chart .slo-label{fill:var(--bad);font-weight:600}
.chart .best-line{stroke:var(--good);stroke-width:1.5;stroke-dasharray:3 3}.chart .best-label{fill:var(--good);font-weight:600}
.chart .knee-line{stroke:var(--muted);stroke-width:1.5;stroke-dasharray:1 3}.chart .knee-label{fill:var(--muted)}
.chart .pt.fail{fill:none;stroke:var(--bad);stroke-width:2}.chart .ring{fill:none;stroke:var(--good);stroke-width:2}.chart .key-dot{fill:var(--fg)}.chart .tag{fill:var(--muted);font-size:10px}
.answer{font-size:16px}
.headline{font-size:15px;padding-left:18px}.headline li{margin:2px 0}
`;

const PCT_TICKS = [0, 1, 2, 3, 4, 5].map((v) => ({ v, label: ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'][v] }));

/** Points of the classic HdrHistogram percentile plot: x = log10(1 / (1 − p)), y = value in ms. */
export function percentileCurve(h: Histogram): [number, number][] {
  const n = h.totalCount;
  if (n === 0) return [];
  const pts: [number, number][] = [];
  const xMax = Math.log10(Math.max(n, 10));
  for (let k = 0; k / 10 < xMax; k++) {
    const x = k / 10;
    const p = 100 * (1 - 10 ** -x);
    pts.push([x, h.getValueAtPercentile(p) / 1000]);
  }
  pts.push([xMax, h.getValueAtPercentile(100) / 1000]);
  return pts;
}

function curveChart(title: string, series: Series[]): string {
  const hasData = series.filter((s) => s.points.length > 0);
  if (hasData.length === 0) return '';
  return lineChart({ title, xLabel: 'percentile (log scale of 1/(1−p))', ...latencyAxis(hasData), series: hasData, xTicks: PCT_TICKS, xMin: 0, xMax: 3 });
}

function metaTable(runs: HtmlRun[]): string {
  const rows = runs.map(({ id, file, result: r }) => {
    const m = r.meta;
    const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    return `<tr><td><b>${esc(id)}</b></td><td>${esc(file)}</td><td>${esc(m.runId)}</td><td>${esc(m.startedAt)}</td><td>${esc(m.workload.name)} <span class="muted">seed ${m.workload.seed} · ${esc(m.workload.sha256.slice(0, 12))}</span></td><td>${esc(m.model)}</td><td>${esc(m.target.url)}${m.target.simulated ? ' <span class="muted">(simulator)</span>' : ''}</td><td>${m.durationS.toFixed(1)} s${m.interrupted ? ' <b>interrupted</b>' : ''}</td><td>${esc(labels)}</td><td>${r.clientSaturated ? '<span class="fail">saturated</span>' : 'ok'}</td></tr>`;
  });
  return `<div class="scroll"><table class="meta"><tr><th>run</th><th>file</th><th>run id</th><th>started</th><th>workload</th><th>model</th><th>target</th><th>duration</th><th>labels</th><th>client</th></tr>${rows.join('')}</table></div>`;
}

function summaryTables(r: RunResult): string {
  const out: string[] = [];
  for (const p of r.phases) {
    out.push(`<h3>${esc(phaseHeading(p))}</h3>`);
    if (p.groups.length === 0) {
      out.push(`<p class="muted">${p.requestsSent ?? p.sent} requests sent (not recorded)</p>`);
      continue;
    }
    const head = SUMMARY_COLUMNS.map((c) => `<th>${esc(c.header)}</th>`).join('');
    const body = shownGroups(p).map((g) => `<tr>${SUMMARY_COLUMNS.map((c) => `<td>${esc(c.value(g, p))}</td>`).join('')}</tr>`).join('');
    out.push(`<div class="scroll"><table><tr>${head}</tr>${body}</table></div>`);
    out.push(turnSection(p));
  }
  return out.join('\n');
}

/** Conversation classes: TTFT by position in the conversation, as a table and a chart per class. */
function turnSection(p: PhaseResult): string {
  const out: string[] = [];
  for (const g of p.groups) {
    const turns = g.turns ?? [];
    if (g.class === '*' || turns.length === 0) continue;
    const head = TURN_HEADERS.map((h) => `<th>${esc(h)}</th>`).join('');
    const body = turns.map((t) => `<tr>${turnCells(t).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
    const user = turns.filter((t) => !t.toolFollowUp && t.ttftMs.count > 0);
    const tool = turns.filter((t) => t.toolFollowUp && t.ttftMs.count > 0);
    const series: Series[] = (['p50Ms', 'p95Ms', 'p99Ms'] as const).map((k, i) => ({ name: `TTFT ${k.slice(0, 3)}`, color: PALETTE[i], points: user.map((t): [number, number] => [t.turn, t.ttftMs[k]]) }));
    if (tool.length > 0) series.push({ name: 'TTFT p50 after tool results', color: PALETTE[3], dashed: true, points: tool.map((t): [number, number] => [t.turn, t.ttftMs.p50Ms]) });
    const maxTurn = Math.max(...turns.map((t) => t.turn));
    const chart =
      user.length + tool.length > 1
        ? lineChart({ title: `TTFT by conversation turn · ${g.class}`, xLabel: 'user turn', ...latencyAxis(series), series, xTicks: Array.from({ length: maxTurn }, (_, i) => ({ v: i + 1, label: String(i + 1) })), xMin: 1, xMax: Math.max(2, maxTurn) })
        : '';
    out.push(
      `<h4>${esc(g.class)} by conversation turn <span class="muted">(prompt = the conversation so far)</span></h4>`,
      `<div class="scroll"><table class="turns"><tr>${head}</tr>${body}</table></div>`,
      chart ? `<div class="charts">${chart}</div>` : '',
    );
  }
  return out.join('\n');
}

/** Time series charts: throughput, TTFT p50/p99, errors; one colour per run, phase boundaries of the first run. */
function timeseriesCharts(runs: HtmlRun[]): string {
  const markers = runs[0].result.phases.map((p) => ({ x: p.startedAtMs / 1000, label: p.name }));
  const multi = runs.length > 1;
  const name = (id: string, what: string) => (multi ? `${id} ${what}` : what);
  const perS = (r: RunResult) => r.timeseries.intervalMs / 1000;
  const rps: Series[] = runs.map((x, i) => ({ name: name(x.id, 'ok req/s'), color: PALETTE[i % PALETTE.length], points: x.result.timeseries.points.map((p) => [p.tS, (p.completed - p.errors) / perS(x.result)]) }));
  const ttft: Series[] = runs.flatMap((x, i) => [
    { name: name(x.id, 'TTFT p50'), color: PALETTE[i % PALETTE.length], points: x.result.timeseries.points.map((p): [number, number | null] => [p.tS, p.ttftP50Ms]) },
    { name: name(x.id, 'TTFT p99'), color: PALETTE[i % PALETTE.length], dashed: true, points: x.result.timeseries.points.map((p): [number, number | null] => [p.tS, p.ttftP99Ms]) },
  ]);
  const errs: Series[] = runs.map((x, i) => ({ name: name(x.id, 'errors/s'), color: PALETTE[i % PALETTE.length], points: x.result.timeseries.points.map((p) => [p.tS, p.errors / perS(x.result)]) }));
  const has = (s: Series[]) => s.some((x) => x.points.some((p) => p[1] !== null));
  const charts = [
    has(rps) ? lineChart({ title: 'Throughput (successful requests per second)', xLabel: 'seconds since start', yLabel: 'req/s', series: rps, markers }) : '',
    has(ttft) ? lineChart({ title: 'TTFT per second (p50 solid, p99 dashed)', xLabel: 'seconds since start', ...latencyAxis(ttft), series: ttft.filter((s) => s.points.some((p) => p[1] !== null)), markers }) : '',
    has(errs) ? lineChart({ title: 'Errors per second', xLabel: 'seconds since start', yLabel: 'errors/s', series: errs, markers }) : '',
    ...serverMetricsCharts(runs, PALETTE, markers),
  ].filter(Boolean);
  return charts.length ? `<div class="charts">${charts.join('')}</div>` : '<p class="muted">no time series in the result</p>';
}

const decodedCache = new WeakMap<GroupResult, Map<string, Histogram>>();
function hist(g: GroupResult, key: (typeof CURVE_METRICS)[number][0]): Histogram {
  let m = decodedCache.get(g);
  if (!m) decodedCache.set(g, (m = new Map()));
  let h = m.get(key);
  if (!h) m.set(key, (h = decodeHistogram(g.metrics[key].hdr)));
  return h;
}

const className = (c: string) => (c === '*' ? 'all classes' : c);

/** One run: per recorded phase, TTFT/TPOT/E2E curves with a line per class ("all" dashed). */
function singleRunCurves(r: RunResult): string {
  const out: string[] = [];
  for (const p of r.phases.filter((x) => x.record && x.groups.length > 0)) {
    const charts = CURVE_METRICS.map(([key, label]) =>
      curveChart(
        `${label} percentiles · phase ${p.name}`,
        shownGroups(p).map((g, i) => ({ name: g.class === '*' && soleClass(p) !== null ? `all = ${soleClass(p)}` : className(g.class), color: g.class === '*' ? 'currentColor' : PALETTE[(i - 1) % PALETTE.length], dashed: g.class === '*', points: percentileCurve(hist(g, key)) })),
      ),
    ).filter(Boolean);
    if (charts.length) out.push(`<h3>phase ${esc(p.name)}</h3><div class="charts">${charts.join('')}</div>`);
  }
  return out.join('\n');
}

/** Several runs: per aligned phase × class, the runs' curves overlaid. */
function compareCurves(runs: HtmlRun[], cmp: CompareResult): string {
  const out: string[] = [];
  const phaseOf = (r: RunResult, name: string): PhaseResult | undefined => r.phases.find((p) => p.record && p.name === name.replace(/#\d+$/, ''));
  for (const g of shownCompareGroups(cmp)) {
    const charts = CURVE_METRICS.map(([key, label]) =>
      curveChart(
        `${label} percentiles · ${g.phase} · ${compareGroupName(cmp, g)}`,
        runs.flatMap((x, i) => {
          const grp = phaseOf(x.result, g.phase)?.groups.find((y) => y.class === g.class);
          return grp ? [{ name: x.id, color: PALETTE[i % PALETTE.length], points: percentileCurve(hist(grp, key)) }] : [];
        }),
      ),
    ).filter(Boolean);
    if (charts.length) out.push(`<h3>phase ${esc(g.phase)} · ${esc(compareGroupName(cmp, g))}</h3><div class="charts">${charts.join('')}</div>`);
  }
  return out.join('\n');
}

function compareTables(cmp: CompareResult): string {
  const out: string[] = [];
  const s = cmp.settings;
  out.push(
    `<p class="muted">Δ against ${esc(cmp.runs[0].name)}. Intervals: ${(s.confidence * 100).toFixed(0)}% family-wise over ${s.comparisons} comparisons (latency: bootstrap over the HDR buckets, ${s.resamples} resamples; throughput: Poisson; rates: two proportions); changes under ${(s.minEffect * 100).toFixed(1)}% are within noise.</p>`,
  );
  if (cmp.notes.length) out.push(`<h3>Not aligned / take care</h3><ul class="notes">${cmp.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  const many = cmp.runs.length >= 3;
  for (const g of shownCompareGroups(cmp)) {
    const base = cmp.runs[0].name;
    const head = [`metric`, `${base} (base)`, ...cmp.runs.slice(1).flatMap((r) => [r.name, `Δ ${r.name} vs ${base}`, 'CI of Δ']), ...(many ? ['best'] : [])];
    const rows = g.rows
      .filter((r) => r.values.some((v) => v !== null))
      .map((row) => {
        const cells = [`<td>${esc(row.label)}${row.unit && row.unit !== 'ms' && !row.label.endsWith(row.unit) ? ` <span class="muted">${esc(row.unit)}</span>` : ''}</td>`, `<td>${esc(fmtValue(row.values[0], row.unit))}</td>`];
        for (let i = 1; i < cmp.runs.length; i++) {
          const ch = row.changes[i];
          const cls = ch?.verdict === 'worse' ? 'worse' : ch?.verdict === 'better' ? 'better' : 'muted';
          cells.push(`<td>${esc(fmtValue(row.values[i], row.unit))}</td>`);
          cells.push(`<td class="${cls}" title="${ch ? ch.verdict.replace('_', ' ') : ''}">${ch ? esc(fmtChange(ch.abs, ch.rel, row.unit)) + (ch.verdict === 'within_noise' ? ' ~' : '') + (ch.fewSamples ? ` (too few requests: ${ch.fewSamples.have} < ${ch.fewSamples.need})` : '') : '-'}</td>`);
          cells.push(`<td class="muted">${ch?.ci ? esc(fmtInterval(ch.ci.lo, ch.ci.hi, row.unit)) : '-'}</td>`);
        }
        if (many) cells.push(`<td>${row.best === null ? '-' : esc(cmp.runs[row.best].name)}</td>`);
        return `<tr>${cells.join('')}</tr>`;
      });
    out.push(`<h3>phase ${esc(g.phase)} · ${esc(compareGroupName(cmp, g))}</h3>${g.class === '*' && g.rates ? `<p class="muted">${esc(ratesLine(cmp, g.rates))}</p>` : ''}<div class="scroll"><table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table></div>`);
  }
  return out.join('\n');
}

/** The headline the comparison opens with (compare-render.ts), a verdict per candidate. */
function headlineBlock(cmp: CompareResult): string {
  const lines = compareHeadline(cmp).map((l) => {
    const cls = /^verdict: .*: WORSE/.test(l) ? 'worse' : /^verdict: .*: BETTER/.test(l) ? 'better' : /^not lined up/.test(l) ? 'fail' : '';
    return `<li${cls ? ` class="${cls}"` : ''}>${esc(l)}</li>`;
  });
  return `<ul class="headline">${lines.join('')}</ul>`;
}

const pct1 = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const num1 = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));

/** The engine's own figures per run and phase (what `run` prints under "server metrics"), side by side. */
function engineSideTable(runs: HtmlRun[]): string {
  const rows = runs.flatMap((x) =>
    (x.result.serverMetrics?.phases ?? []).map(
      (p) =>
        `<tr><td><b>${esc(x.id)}</b></td><td>${esc(p.phase)}</td><td>${num1(p.runningMean)}/${num1(p.runningMax, 0)}</td><td>${num1(p.waitingMean)}/${num1(p.waitingMax, 0)}</td><td>${pct1(p.kvCacheUsageMax)}</td><td>${pct1(p.prefixCacheHitRate)}</td><td>${p.gpuUtilMeanPct === null ? '-' : `${p.gpuUtilMeanPct.toFixed(0)}%`}</td><td>${num1(p.gpuPowerMeanW, 0)}</td><td>${num1(p.energyPerOutputTokenJ, 3)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '<p class="muted">no server metrics in these results (run scrapes /metrics at the target root, or --server-metrics URL)</p>';
  const head = ['run', 'phase', 'running mean/max', 'waiting mean/max', 'KV max', 'prefix hit', 'GPU util', 'power W', 'J/out tok'];
  return `<div class="scroll"><table class="engine-side"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table></div>`;
}

export function page(title: string, body: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body.join('\n')}
<p class="muted">generated by loadshape · latencies from HDR histograms (µs, 3 significant digits) · TTFT/TPOT/E2E from the actual send, "sched" from the intended send time</p>
</body></html>
`;
}

/** "lag first at 0 s (35.1 ms), worst at …": a cold start or the whole run. */
function lagText(r: RunResult): string | null {
  return r.client.lagWhen ? describeLagWhen(r.client.lagWhen, r.client.lagSeconds?.length ?? 0) : null;
}

export function renderRunHtml(file: string, r: RunResult): string {
  const runs = [{ id: 'run', file, result: r }];
  return page(`loadshape · ${r.meta.workload.name} · ${r.meta.startedAt}`, [
    `<h1>loadshape report · ${esc(r.meta.workload.name)}</h1>`,
    metaTable(runs),
    r.clientSaturated ? `<p class="fail">Client saturated${r.client.reason ? ` (${esc(r.client.reason)})` : ''}: ${esc(r.client.reasons.join('; '))}. Latencies include the harness's own delay.${r.client.reasonDetail ? ` ${esc(r.client.reasonDetail)}.` : ''} ${esc(r.client.advice ?? '')}${lagText(r) ? ` ${esc(lagText(r) as string)}.` : ''}</p>` : '',
    sweepSection(r),
    loadCurveSection(r),
    '<h2>Summary</h2>',
    summaryTables(r),
    '<h2>Latency percentiles</h2>',
    singleRunCurves(r),
    '<h2>Over time</h2>',
    timeseriesCharts(runs),
  ]);
}

export function renderCompareHtml(runs: HtmlRun[], cmp: CompareResult, violations?: Violation[]): string {
  const fail = violations
    ? violations.length === 0
      ? `<p class="pass">fail-on: candidate ${esc(cmp.runs[cmp.runs.length - 1].name)} passes every threshold</p>`
      : `<p class="fail">fail-on: candidate ${esc(cmp.runs[cmp.runs.length - 1].name)} regressed past ${violations.length} threshold(s)</p><ul>${violations.map((v) => `<li class="worse">${esc(v.message)}</li>`).join('')}</ul>`
    : '';
  return page(`loadshape compare · ${cmp.runs.map((r) => r.name).join(' vs ')}`, [
    `<h1>loadshape compare · ${esc(cmp.runs.map((r) => r.name).join(' vs '))}</h1>`,
    headlineBlock(cmp),
    metaTable(runs),
    `<ul class="notes">${cmp.runs.map((r) => `<li><b style="color:${PALETTE[cmp.runs.indexOf(r) % PALETTE.length]}">${esc(r.name)}</b> ${esc(runDescription(r))}</li>`).join('')}</ul>`,
    fail,
    '<h2>Comparison</h2>',
    compareTables(cmp),
    '<h2>Engine side</h2>',
    engineSideTable(runs),
    '<h2>Latency percentiles</h2>',
    compareCurves(runs, cmp),
    '<h2>Over time</h2>',
    timeseriesCharts(runs),
  ]);
}
