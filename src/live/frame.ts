// One screen of the live view as text: a pure function of the model and the terminal's size, so
// tests render frames to strings at fixed sizes. Every line is exactly `cols` characters (cut or
// padded) and there are exactly `rows` lines, so a frame drawn over the previous one (or after a
// resize) leaves nothing of it behind. Only single-width characters are used.
import { ALL, WINDOW_S, type GroupState, type LiveModel, type Quantiles } from './model.js';

/** Below this the view is not worth drawing (commands fall back to the progress line). */
export const MIN_COLS = 60;
export const MIN_ROWS = 12;

export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function fit(line: string, cols: number): string {
  return line.length > cols ? line.slice(0, cols) : line.padEnd(cols);
}

function ms(v: number | null): string {
  if (v === null) return '-';
  return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const pair = (q: Quantiles) => `${ms(q.p50Ms)}/${ms(q.p99Ms)}`;
const rate = (r: number) => (r >= 100 ? r.toFixed(0) : r.toFixed(1));

function phaseLine(model: LiveModel, name: string): string {
  const p = model.phases.get(name)!;
  const elapsedMs = (p.endedAtMs ?? model.atMs) - p.info.startedAtMs;
  const all = model.groups.get(`${name}\u0000${ALL}`);
  const done = all ? all.ok + all.failed : 0;
  const of = p.info.durationMs !== null ? `${clock(elapsedMs)}/${clock(p.info.durationMs)}` : p.info.maxRequests !== null ? `${clock(elapsedMs)} · ${done}/${p.info.maxRequests} req` : clock(elapsedMs);
  const state = p.endedAtMs !== null ? ' · ended' : '';
  return `phase ${name} (${p.info.load}) ${of}${state} · in flight ${model.inFlight}`;
}

function classTable(model: LiveModel, phase: string, cols: number): string[] {
  const wide = cols >= 100;
  const since = Math.floor(model.atMs / 1000) - WINDOW_S;
  const nameW = Math.max(5, Math.min(18, ...model.phaseGroups(phase).map((g) => g.className.length)));
  const head = [`${'class'.padEnd(nameW)}`, '    done', '  failed', `  TTFT p50/p99 ${WINDOW_S}s`.padEnd(22), ...(wide ? ['  TTFT all'.padEnd(18)] : []), `  TPOT p50/p99 ${WINDOW_S}s`.padEnd(22), ...(wide ? ['  TPOT all'.padEnd(18)] : [])];
  const row = (g: GroupState) => [
    (g.className === ALL ? 'all' : g.className).slice(0, nameW).padEnd(nameW),
    String(g.ok + g.failed).padStart(8),
    String(g.failed).padStart(8),
    `  ${pair(g.quantiles('ttft', since))}`.padEnd(22),
    ...(wide ? [`  ${pair(g.quantiles('ttft'))}`.padEnd(18)] : []),
    `  ${pair(g.quantiles('tpot', since))}`.padEnd(22),
    ...(wide ? [`  ${pair(g.quantiles('tpot'))}`.padEnd(18)] : []),
  ];
  return [head.join(''), ...model.phaseGroups(phase).map((g) => row(g).join(''))];
}

function errorsLine(model: LiveModel, phase: string): string {
  const all = model.groups.get(`${phase}\u0000${ALL}`);
  const errs = all ? [...all.errors].sort((a, b) => b[1] - a[1]) : [];
  return `errors: ${errs.length === 0 ? 'none' : errs.map(([k, n]) => `${k} ${n}`).join(' · ')}`;
}

function serverLine(model: LiveModel): string {
  const s = model.server;
  if (!s) return 'server: not scraped';
  const parts = [`running ${s.running ?? '-'}`, `waiting ${s.waiting ?? '-'}`, `KV ${s.kvCacheUsage === null ? '-' : `${(s.kvCacheUsage * 100).toFixed(0)}%`}`];
  return `server: ${parts.join(' · ')}`;
}

function harnessLine(model: LiveModel): string {
  const h = model.harness;
  const procs = h.processes > 1 ? ` over ${h.processes} processes` : '';
  return `harness: loop lag ${ms(h.loopDelayMaxMs)} ms · dispatch lag ${ms(h.dispatchLagMaxMs)} ms · CPU ${h.cpuPercent.toFixed(0)}%${procs}`;
}

/** The screen: `rows` lines of exactly `cols` characters, joined by "\n". */
export function renderFrame(model: LiveModel, cols: number, rows: number): string {
  cols = Math.max(1, Math.floor(cols));
  rows = Math.max(1, Math.floor(rows));
  const remaining = model.remainingMs();
  const right = `elapsed ${clock(model.atMs)} · ${model.finished ? 'done' : `left ${remaining === null ? '?' : `~${clock(remaining)}`}`}`;
  const left = `loadshape · ${model.options.title}`;
  const gap = cols - left.length - right.length;
  const lines: string[] = [gap >= 1 ? left + ' '.repeat(gap) + right : `${left} · ${right}`];
  if (model.note) lines.push(model.note);
  const phase = model.current ?? [...model.phases.keys()].pop() ?? null;
  if (phase === null) lines.push('waiting for the first phase to start');
  else {
    const r = model.rates(phase);
    // A closed loop offers no arrival rate of its own: each request is sent when one finishes.
    const closed = model.phases.get(phase)!.info.load.startsWith('closed');
    const offered = closed ? 'offered - (closed loop)' : `offered ${rate(r.offeredRps)}/s`;
    lines.push(phaseLine(model, phase), `${offered} · sent ${rate(r.sentRps)}/s · completed ${rate(r.completedRps)}/s`, '', ...classTable(model, phase, cols), errorsLine(model, phase));
  }
  lines.push(serverLine(model), harnessLine(model));
  const ended = [...model.phases.values()].filter((p) => p.endedAtMs !== null && p.info.name !== phase);
  if (ended.length > 0) {
    const done = (name: string) => {
      const g = model.groups.get(`${name}\u0000${ALL}`);
      return g ? `${g.ok + g.failed} done, ${g.failed} failed` : 'no requests';
    };
    lines.push(`earlier: ${ended.map((p) => `${p.info.name} ${done(p.info.name)}`).join(' · ')}`);
  }
  const room = rows - lines.length - 1;
  if (room > 0 && model.log.length > 0) lines.push('', ...model.log.slice(-room));
  const out = lines.slice(0, rows).map((l) => fit(l.replace(/[\x00-\x1f\x7f]/g, ' '), cols));
  while (out.length < rows) out.push(' '.repeat(cols));
  return out.join('\n');
}
