// Number formatting shared by the text, Markdown and HTML reports (pure).

export const fmtMs = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)}s` : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const fmtNum = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** A latency with its unit: "11.3 ms", "1.27s". */
export const fmtMsUnit = (x: number) => (x >= 1000 ? fmtMs(x) : `${fmtMs(x)} ms`);
export const fmtPct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;

/** A metric value in its unit: ms latencies, rates as %, throughput as plain numbers. */
export function fmtValue(v: number | null, unit: string): string {
  if (v === null) return '-';
  if (unit === 'ms') return fmtMs(v);
  if (unit === '') return fmtPct(v);
  return fmtNum(v);
}

const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±');

/** "+21.7% (+11.3 ms)", "+0.50 pp", "−3.1% (−12 tok/s)". */
export function fmtChange(abs: number, rel: number | null, unit: string): string {
  if (unit === '') return `${sign(abs)}${Math.abs(abs * 100).toFixed(2)} pp`;
  // fmtMs writes a second or more as "1.27s": its own unit, so " ms" follows only smaller values.
  const absText = `${sign(abs)}${unit === 'ms' ? fmtMsUnit(Math.abs(abs)) : `${fmtNum(Math.abs(abs))} ${unit}`}`;
  if (rel === null) return absText;
  return `${sign(rel)}${Math.abs(rel * 100).toFixed(1)}% (${absText})`;
}

/** A confidence interval of a difference, in the metric's unit. */
export function fmtInterval(lo: number, hi: number, unit: string): string {
  const f = (x: number) => {
    const s = x < 0 ? '−' : '+';
    if (unit === '') return `${s}${Math.abs(x * 100).toFixed(2)}`;
    return `${s}${unit === 'ms' ? fmtMs(Math.abs(x)) : fmtNum(Math.abs(x))}`;
  };
  return `[${f(lo)}, ${f(hi)}]${unit === '' ? ' pp' : ''}`;
}

export function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A GitHub-flavoured Markdown table; columns after the first are right-aligned. */
export function mdTable(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.map(mdEscape).join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdEscape).join(' | ')} |`),
  ].join('\n');
}
