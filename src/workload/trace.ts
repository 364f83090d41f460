// Traces: a recorded request log (CSV or JSONL) → rows of (arrival offset, input tokens, output
// tokens, class, session) that an open-loop phase replays as its arrival source. Pure: parseTrace
// takes text and returns data; the one read is in loadTrace. Errors name file:line:column.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { excerpt, usageError } from '../util/errors.js';
import type { Planner, SizedPlanner } from './plan.js';
import { formatBound, MAX_TOKENS } from '../util/limits.js';

export interface TraceRow {
  /** Arrival time relative to the trace's first arrival, ms, unscaled. */
  offsetMs: number;
  inputTokens: number;
  outputTokens: number;
  /** The workload class to plan the request with (its other settings); null: the workload's mix. */
  className: string | null;
  sessionId: string | null;
  /** 1-based line of the row in the file (for messages). */
  line: number;
}

export interface Trace {
  file: string;
  sha256: string;
  /** Rows in arrival order (stable: rows with equal times keep file order). */
  rows: TraceRow[];
}

/**
 * Column names accepted for each field, compared case-insensitively with spaces, "-" and "_" removed.
 * Native: timestamp, input_tokens, output_tokens, class, session_id. Azure LLM inference traces:
 * TIMESTAMP, ContextTokens, GeneratedTokens. BurstGPT: Timestamp, Request tokens, Response tokens.
 */
const ALIASES: Record<'timestamp' | 'input' | 'output' | 'class' | 'session', string[]> = {
  timestamp: ['timestamp', 'time', 'arrivaltime'],
  input: ['inputtokens', 'prompttokens', 'contexttokens', 'requesttokens'],
  output: ['outputtokens', 'completiontokens', 'generatedtokens', 'responsetokens'],
  class: ['class'],
  session: ['sessionid', 'session', 'conversationid'],
};

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_-]+/g, '');
}

function fieldOf(column: string): keyof typeof ALIASES | null {
  const n = normalise(column);
  for (const [field, names] of Object.entries(ALIASES) as [keyof typeof ALIASES, string[]][]) {
    if (names.includes(n)) return field;
  }
  return null;
}

class TraceError extends Error {}

function fail(file: string, line: number, column: number, message: string): never {
  throw new TraceError(`${file}:${line}:${column}: ${message}`);
}

/** Reads and parses a trace file; a bad file is a usage error (exit 4) naming file, line and column. */
export async function loadTrace(file: string): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`--trace: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseTrace(text, file);
  } catch (err) {
    if (err instanceof TraceError) throw usageError(`--trace: ${err.message}`);
    throw err;
  }
}

/** JSONL when the file is named .jsonl/.ndjson or its first non-blank character is "{", else CSV with a header row. */
export function parseTrace(text: string, file: string): Trace {
  const ext = extname(file).toLowerCase();
  const jsonl = ext === '.jsonl' || ext === '.ndjson' || (ext !== '.csv' && text.trimStart().startsWith('{'));
  const raw = jsonl ? parseJsonl(text, file) : parseCsv(text, file);
  if (raw.length === 0) fail(file, 1, 1, 'the trace has no rows');
  const t0 = Math.min(...raw.map((r) => r.atMs));
  const rows = raw
    .map((r) => ({ ...r, offsetMs: r.atMs - t0 }))
    .sort((a, b) => a.offsetMs - b.offsetMs || a.line - b.line)
    .map(({ offsetMs, inputTokens, outputTokens, className, sessionId, line }) => ({ offsetMs, inputTokens, outputTokens, className, sessionId, line }));
  return { file, sha256: createHash('sha256').update(text).digest('hex'), rows };
}

interface RawRow {
  atMs: number;
  inputTokens: number;
  outputTokens: number;
  className: string | null;
  sessionId: string | null;
  line: number;
}

/** A cell with where it starts (1-based column of its first character). */
interface Cell {
  value: string;
  column: number;
}

/** One CSV line → cells (RFC 4180 quoting; a quoted field does not span lines). */
function splitCsvLine(line: string, file: string, lineNo: number): Cell[] {
  const cells: Cell[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) fail(file, lineNo, column, 'unterminated quoted field');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      if (i < line.length && line[i] !== ',') fail(file, lineNo, i + 1, 'expected "," after a quoted field');
    } else {
      const end = line.indexOf(',', i);
      value = line.slice(i, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    }
    cells.push({ value, column });
    if (i >= line.length) return cells;
    i++; // the comma
  }
}

function parseCsv(text: string, file: string): RawRow[] {
  const lines = text.split(/\r?\n/);
  let headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt === -1) fail(file, 1, 1, 'the trace is empty');
  const header = splitCsvLine(lines[headerAt].replace(/^\uFEFF/, ''), file, headerAt + 1);
  const index: Partial<Record<keyof typeof ALIASES, number>> = {};
  header.forEach((c, i) => {
    const f = fieldOf(c.value);
    if (f !== null && index[f] === undefined) index[f] = i;
  });
  for (const need of ['timestamp', 'input', 'output'] as const) {
    if (index[need] === undefined) {
      fail(file, headerAt + 1, 1, `no ${need === 'timestamp' ? 'timestamp' : `${need} tokens`} column in the header (accepted: ${ALIASES[need].join(', ')}; got ${excerpt(header.map((c) => c.value).join(', '), 80)})`);
    }
  }
  const rows: RawRow[] = [];
  for (let l = headerAt + 1; l < lines.length; l++) {
    const line = lines[l];
    if (line.trim() === '') continue;
    const lineNo = l + 1;
    const cells = splitCsvLine(line, file, lineNo);
    const cell = (f: keyof typeof ALIASES): Cell | null => {
      const i = index[f];
      if (i === undefined) return null;
      const c = cells[i];
      if (c === undefined) fail(file, lineNo, line.length + 1, `missing the ${header[i].value} column (${header.length} columns in the header, ${cells.length} here)`);
      return c;
    };
    const ts = cell('timestamp')!;
    const inp = cell('input')!;
    const out = cell('output')!;
    const cls = cell('class');
    const ses = cell('session');
    rows.push({
      atMs: timestampMs(ts.value, file, lineNo, ts.column),
      inputTokens: tokens(inp.value, file, lineNo, inp.column, header[index.input!].value),
      outputTokens: tokens(out.value, file, lineNo, out.column, header[index.output!].value),
      className: cls && cls.value.trim() !== '' ? cls.value.trim() : null,
      sessionId: ses && ses.value.trim() !== '' ? ses.value.trim() : null,
      line: lineNo,
    });
  }
  return rows;
}

function parseJsonl(text: string, file: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, l) => {
    if (line.trim() === '') return;
    const lineNo = l + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      fail(file, lineNo, pos ? Number(pos[1]) + 1 : 1, `not JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail(file, lineNo, 1, 'expected one JSON object per line');
    const found: Partial<Record<keyof typeof ALIASES, { key: string; value: unknown }>> = {};
    for (const [key, value] of Object.entries(obj)) {
      const f = fieldOf(key);
      if (f !== null && found[f] === undefined) found[f] = { key, value };
    }
    const colOf = (key: string) => Math.max(1, line.indexOf(JSON.stringify(key)) + 1);
    for (const need of ['timestamp', 'input', 'output'] as const) {
      if (found[need] === undefined) fail(file, lineNo, 1, `no "${need === 'timestamp' ? 'timestamp' : need === 'input' ? 'input_tokens' : 'output_tokens'}" field (accepted: ${ALIASES[need].join(', ')})`);
    }
    const str = (v: { key: string; value: unknown } | undefined): string | null =>
      v === undefined || v.value === null || v.value === '' ? null : String(v.value);
    const ts = found.timestamp!;
    rows.push({
      atMs: timestampMs(ts.value, file, lineNo, colOf(ts.key)),
      inputTokens: tokens(found.input!.value, file, lineNo, colOf(found.input!.key), found.input!.key),
      outputTokens: tokens(found.output!.value, file, lineNo, colOf(found.output!.key), found.output!.key),
      className: str(found.class),
      sessionId: str(found.session),
      line: lineNo,
    });
  });
  return rows;
}

function tokens(value: unknown, file: string, line: number, column: number, name: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) fail(file, line, column, `${name}: expected a whole number of tokens >= 0, got ${JSON.stringify(value)}`);
  if (n > MAX_TOKENS) fail(file, line, column, `${name}: at most ${formatBound(MAX_TOKENS)} tokens (see "Limits" in the README), got ${n}`);
  return n;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A timestamp: a number of seconds (BurstGPT, native), or a date-time such as Azure's
 * "2023-11-16 18:15:46.6805900" (no zone: UTC; only differences matter). Fractions keep sub-ms precision.
 */
export function timestampMs(value: unknown, file: string, line: number, column: number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value * 1000;
  } else if (typeof value === 'string') {
    const s = value.trim();
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) return Number(s) * 1000;
    const m = DATE_TIME.exec(s);
    if (m) {
      const [, y, mo, d, h, mi, se, frac, zone] = m;
      let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
      if (frac !== undefined) ms += Number(`0.${frac}`) * 1000;
      if (zone !== undefined && zone.toUpperCase() !== 'Z') {
        const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
        ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
      }
      if (Number.isFinite(ms)) return ms;
    }
  }
  fail(file, line, column, `timestamp: expected seconds (e.g. 12.5) or a date-time (e.g. 2023-11-16 18:15:46.680), got ${JSON.stringify(value)}`);
}

/** Arrival offsets of a replay, time-scaled: speed 2 replays twice as fast. */
export function traceOffsetsMs(trace: Trace, speed: number): number[] {
  return trace.rows.map((r) => r.offsetMs / speed);
}

/** A planner whose phase `phaseIndex` takes request i's lengths (and class, when the row names one) from row i. */
export function tracePlanner(base: SizedPlanner, phaseIndex: number, rows: readonly TraceRow[]): Planner {
  return {
    workload: base.workload,
    plan(p: number, i: number) {
      if (p !== phaseIndex) return base.plan(p, i);
      const row = rows[i];
      if (row === undefined) throw new RangeError(`request ${i} is past the trace's ${rows.length} rows`);
      return base.planSized(p, i, { className: row.className, promptTokens: row.inputTokens, outputTokens: row.outputTokens });
    },
    // A row of a conversation class starts a conversation of that class: its later turns follow the class.
    followUp: base.followUp?.bind(base),
  };
}
