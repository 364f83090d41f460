// scripts/exact-server: the benches' C++ exact-schedule server speaks scripts/bench-server.ts's protocol
// and truth file. Timing is judged loosely (the machine may be busy): a chunk is never early, which is
// exact on the server's own clock, and the gaps are 10 ms apart only within ±5 ms, by their median.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactServerBinary, hasGxx } from '../../scripts/exact-server/build.js';

const GXX = hasGxx();

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

function send(port: number, agent: Agent, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, socket: req.socket! }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The SSE events' data payloads, in order. */
const events = (body: string) =>
  body
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));

interface Chunk {
  object: string;
  choices: { index: number; delta?: { content: string }; text?: string; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  t: number;
}

/** Checks a stream of n content chunks, usage and [DONE]; returns the chunks' send stamps. */
function checkStream(body: string, n: number, chat: boolean): number[] {
  const ev = events(body);
  expect(ev).toHaveLength(n + 2);
  expect(ev[n + 1]).toBe('[DONE]');
  const parsed = ev.slice(0, n + 1).map((e) => JSON.parse(e) as Chunk);
  for (const [i, c] of parsed.slice(0, n).entries()) {
    expect(c.object).toBe(chat ? 'chat.completion.chunk' : 'text_completion');
    expect(chat ? c.choices[0].delta : { content: c.choices[0].text }).toEqual({ content: ' tok' });
    expect(c.choices[0].finish_reason).toBe(i === n - 1 ? 'length' : null);
  }
  expect(parsed[n]).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: n, total_tokens: n + 1 } });
  return parsed.slice(0, n).map((c) => c.t);
}

const truthLines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { a: number; s: number[] })
    : [];

async function waitFor<T>(what: () => T, ok: (x: T) => boolean, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const x = what();
    if (ok(x) || Date.now() > end) return x;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!GXX)(`scripts/exact-server${GXX ? '' : ' (skipped: g++ is not on PATH, so exact-server.cc cannot be built)'}`, () => {
  let dir = '';
  let truth = '';
  let proc: ChildProcess;
  let port = 0;
  let streamed = 0; // requests streamed to the end so far: the truth file's line count

  beforeAll(async () => {
    const bin = exactServerBinary();
    dir = mkdtempSync(join(tmpdir(), 'loadshape-exact-server-'));
    truth = join(dir, 'truth.jsonl');
    proc = spawn(bin, ['0', '--truth', truth], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`exact-server exited with ${code}`)));
    });
  });

  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /v1/models, /health and 404s', async () => {
    const agent = new Agent({ keepAlive: true });
    const models = await send(port, agent, 'GET', '/v1/models');
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body)).toEqual({ object: 'list', data: [{ id: 'bench', object: 'model' }] });
    expect(JSON.parse((await send(port, agent, 'GET', '/health')).body)).toEqual({ status: 'ok' });
    const missing = await send(port, agent, 'GET', '/v1/nothing');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: { message: 'not found' } });
    agent.destroy();
  });

  it('streams a chat request on its schedule, and writes its truth line with the same stamps', async () => {
    const agent = new Agent({ keepAlive: true });
    // The prompt names a field too: only the top-level max_tokens counts.
    const r = await send(port, agent, 'POST', '/v1/chat/completions', {
      model: 'bench',
      messages: [{ role: 'user', content: 'ignore this "max_tokens": 99, ok' }],
      max_tokens: 5,
      bench_ttft_ms: 20,
      bench_itl_ms: 10,
    });
    agent.destroy();
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const t = checkStream(r.body, 5, true);
    const gaps = t.slice(1).map((x, i) => x - t[i]);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    expect(Math.abs(median - 10)).toBeLessThanOrEqual(5);
    streamed++;
    // Written by the server within ~10 ms of the end, not only at exit.
    const lines = await waitFor(() => truthLines(truth), (l) => l.length >= streamed);
    expect(lines).toHaveLength(1);
    const { a, s } = lines[0];
    expect(s).toEqual(t);
    expect(s[0] - a).toBeGreaterThanOrEqual(19);
    // Never early: chunk i leaves at or after arrival + 20 + 10 i ms (stamps rounded to the µs).
    for (const [i, x] of s.entries()) expect(x - a).toBeGreaterThanOrEqual(20 + 10 * i - 0.002);
  });

  it('serves two requests (chat, then completions) on one keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(port, agent, 'POST', '/v1/chat/completions', { max_tokens: 3, bench_ttft_ms: 5, bench_itl_ms: 2 });
    const second = await send(port, agent, 'POST', '/v1/completions', { max_tokens: 4, bench_ttft_ms: 5, bench_itl_ms: 0 });
    agent.destroy();
    expect(second.socket).toBe(first.socket);
    checkStream(first.body, 3, true);
    checkStream(second.body, 4, false);
    streamed += 2;
  });

  it('completes 300 concurrent streams', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 300 });
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => send(port, agent, 'POST', '/v1/chat/completions', { max_tokens: 20, bench_ttft_ms: 10, bench_itl_ms: 5 })),
    );
    agent.destroy();
    for (const r of replies) {
      expect(r.status).toBe(200);
      checkStream(r.body, 20, true);
    }
    expect(new Set(replies.map((r) => r.socket)).size).toBe(300);
    streamed += 300;
  });

  it('drops a stream whose client leaves mid-way (no truth line) and keeps serving', async () => {
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent }, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ max_tokens: 50, bench_ttft_ms: 1, bench_itl_ms: 10 }));
    });
    const after = await send(port, agent, 'POST', '/v1/chat/completions', { max_tokens: 2, bench_ttft_ms: 1, bench_itl_ms: 1 });
    agent.destroy();
    checkStream(after.body, 2, true);
    streamed++;
    await new Promise((r) => setTimeout(r, 50));
    const lines = await waitFor(() => truthLines(truth), (l) => l.length >= streamed);
    expect(lines).toHaveLength(streamed);
    expect(lines.every((l) => l.s.length !== 50)).toBe(true);
  });

  it('exits 0 on SIGTERM with every finished request in the truth file', async () => {
    const code = await new Promise<number | null>((resolve) => {
      proc.on('exit', (c) => resolve(c));
      proc.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(truthLines(truth)).toHaveLength(streamed);
  });
});
