// Scripted check of the per-request answer cap (issue 17, item 8): a loopback server streams an
// endless answer, as fast as the client reads, to a structured-output class (answers kept for
// validation); `loadshape run` keeps 4 such streams open for 8 s under --max-old-space-size=512.
// Before the cap, each stream's text grew without bound (~700 MB for one) and four crashed V8 with
// no result. Passes when the run writes its result and the peak RSS of the loadshape processes
// stays under 600 MB.
//
//   npm run build && npx tsx scripts/answer-cap-memory.ts [--seconds 8] [--streams 4] [--limit-mb 600] [--max-answer-bytes N]
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    streams: { type: 'string', default: '4' },
    'limit-mb': { type: 'string', default: '600' },
    /** Passed on as --max-answer-bytes (default: loadshape's own, 1 MiB); a huge value shows the failure the cap prevents. */
    'max-answer-bytes': { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const streams = Number(args.streams);
const limitMb = Number(args['limit-mb']);
const ROOT = resolve(import.meta.dirname, '..');
const PAGE_KB = 4;

/** One content chunk of 8 KiB, written again and again while the socket takes it. */
const CHUNK = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x'.repeat(8192) }, finish_reason: null }] })}\n\n`;
let bytesSent = 0;

function endless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '{"summary": "' }, finish_reason: null }] })}\n\n`);
  const pump = () => {
    while (!res.destroyed && res.write(CHUNK)) bytesSent += CHUNK.length;
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST') return endless(res);
    res.writeHead(404).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

/** RSS in MB of a process and all its descendants (Linux /proc). */
function treeRssMb(pid: number): { total: number; max: number } {
  let total = 0;
  let max = 0;
  const visit = (p: number) => {
    try {
      const rssPages = Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]);
      const mb = (rssPages * PAGE_KB) / 1024;
      total += mb;
      max = Math.max(max, mb);
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(c));
    } catch {
      // the process ended between two reads
    }
  };
  visit(pid);
  return { total, max };
}

const out = mkdtempSync(join(tmpdir(), 'loadshape-answer-cap-'));
const cliArgs = [
  '--max-old-space-size=512', join(ROOT, 'dist/cli.js'), 'run', join(ROOT, 'workloads/json-schema.yaml'),
  '--target', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--server-metrics', 'none',
  '--concurrency', String(streams), '--duration', `${seconds}s`, '--timeout-total', `${seconds}s`, '--out', out, '--quiet',
  ...(args['max-answer-bytes'] ? ['--max-answer-bytes', args['max-answer-bytes']] : []),
];
const started = Date.now();
const child = spawn(process.execPath, cliArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
let peakTotalMb = 0;
let peakProcessMb = 0;
const poll = setInterval(() => {
  const r = treeRssMb(child.pid!);
  peakTotalMb = Math.max(peakTotalMb, r.total);
  peakProcessMb = Math.max(peakProcessMb, r.max);
}, 50);
const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
clearInterval(poll);
clearTimeout(kill);
server.closeAllConnections();
server.close();

const files = readdirSync(out).filter((f) => f.endsWith('.json'));
const result = files.length === 1 ? (JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as { client: { peakRssMb: number }; phases: { groups: { class: string; requests: number; errorsByClass: Record<string, number> }[] }[] }) : null;
const all = result?.phases.at(-1)?.groups.find((g) => g.class === '*');
console.log(`loadshape exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s; server streamed ${(bytesSent / 2 ** 20).toFixed(0)} MiB`);
console.log(`result: ${files.length === 1 ? join(out, files[0]) : 'NONE'}${all ? ` (${all.requests} requests: ${JSON.stringify(all.errorsByClass)})` : ''}`);
console.log(`peak RSS (polled every 50 ms): ${peakProcessMb.toFixed(0)} MB largest process, ${peakTotalMb.toFixed(0)} MB launcher + run together; the run's own peakRssMb: ${result?.client.peakRssMb ?? 'n/a'}`);
const ok = result !== null && peakProcessMb < limitMb && peakTotalMb < limitMb;
if (!ok) console.log(stderr.slice(-2000));
console.log(ok ? `PASS: result written, peak RSS under ${limitMb} MB` : `FAIL: ${result === null ? 'no result' : `peak RSS over ${limitMb} MB`}`);
if (ok) rmSync(out, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
