// Reliability of `loadshape run` as a process: Ctrl-C and kill -9 lose nothing already gathered,
// keys never reach any output, and bad input is refused with one clear message and no output file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { CLI, ROOT, fixture, readOnlyResult, runCli, tempDir } from './helpers.js';
import { readResult } from '../../src/results/io.js';
import type { GroupResult } from '../../src/results/format.js';

const all = (g: GroupResult[]) => g.find((x) => x.class === '*') as GroupResult;

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const kill = setTimeout(() => proc.kill('SIGKILL'), 45_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('close', (code, signal) => {
      clearTimeout(kill);
      r({ code, signal });
    }),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Polls until `cond` holds (bounded). */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
const resultFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);

describe('interrupts and checkpoints', () => {
  it('SIGINT: stops scheduling, drains in-flight requests, writes a parseable result marked interrupted', async () => {
    const out = tempDir();
    const records = join(out, 'records.jsonl');
    // 32 tokens × 15 ms ≈ 0.5 s per request, 4 in flight, for up to a minute
    const c = start(['run', fixture('timing.yaml'), '--concurrency', '4', '--duration', '60s', '--sim-ttft', '5', '--sim-itl', '15',
      '--records', records, '--out', out, '--quiet', '--drain', '10s']);
    await until(() => lines(records) >= 4, 'the first completed requests');
    const t = Date.now();
    c.proc.kill('SIGINT');
    const { code } = await c.exited;
    expect(Date.now() - t).toBeLessThan(5000); // drained, not waiting out the minute
    expect(code).toBe(0);
    const [file] = resultFiles(out);
    const result = await readResult(join(out, file)); // validates against the schema
    expect(result.meta.interrupted).toBe(true);
    const g = all(result.phases[0].groups);
    // in-flight requests were drained, not cancelled: every sent request completed and is counted
    expect(g.errors).toBe(0);
    expect(g.requests).toBe(result.phases[0].sent);
    expect(g.requests).toBeGreaterThanOrEqual(8);
    expect(g.requests).toBe(lines(records));
    expect(c.stderr()).toBe('');
  });

  it('a second SIGINT cancels in-flight requests at once and still writes the result', async () => {
    const out = tempDir();
    const records = join(out, 'records.jsonl');
    // ≈ 1.6 s per request: the second Ctrl-C comes while 4 are mid-stream
    const c = start(['run', fixture('timing.yaml'), '--concurrency', '4', '--duration', '60s', '--sim-ttft', '5', '--sim-itl', '50',
      '--records', records, '--out', out, '--drain', '30s']);
    await until(() => lines(records) >= 4, 'the first completed requests');
    await new Promise((r) => setTimeout(r, 200));
    c.proc.kill('SIGINT');
    await until(() => c.stderr().includes('draining'), 'the drain message');
    const t = Date.now();
    c.proc.kill('SIGINT');
    const { code } = await c.exited;
    expect(Date.now() - t).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(c.stderr()).toMatch(/SIGINT again: cancelling 4 in-flight requests/);
    const result = readOnlyResult(out);
    expect(result.meta.interrupted).toBe(true);
    const g = all(result.phases[0].groups);
    expect(g.errorsByClass).toEqual({ cancelled: 4 });
    expect(g.ok).toBeGreaterThanOrEqual(4);
    expect(g.requests).toBe(lines(records));
  });

  it('--checkpoint writes the result so far atomically; after kill -9 the checkpoint is readable by report', async () => {
    const out = tempDir();
    const c = start(['run', fixture('timing.yaml'), '--concurrency', '4', '--duration', '60s', '--sim-ttft', '5', '--sim-itl', '2',
      '--checkpoint', '1s', '--out', out, '--quiet']);
    const ckpt = () => resultFiles(out).find((f) => f.endsWith('.checkpoint.json'));
    await until(() => ckpt() !== undefined, 'a checkpoint');
    const first = await readResult(join(out, ckpt()!));
    await until(() => {
      try {
        return all(JSON.parse(readFileSync(join(out, ckpt()!), 'utf8')).phases[0].groups).requests > all(first.phases[0].groups).requests;
      } catch {
        return false;
      }
    }, 'a later checkpoint');
    c.proc.kill('SIGKILL');
    const { signal } = await c.exited;
    expect(signal).toBe('SIGKILL');
    // only the checkpoint is there (temp files are hidden dot-files, and none is left half-written in its place)
    expect(resultFiles(out)).toEqual([ckpt()]);
    const file = join(out, ckpt()!);
    const result = await readResult(file);
    expect(result.meta.checkpoint).toBe(true);
    expect(result.meta.interrupted).toBe(false);
    const g = all(result.phases[0].groups);
    expect(g.requests).toBeGreaterThan(0);
    expect(g.ok).toBe(g.requests);
    expect(g.metrics.ttftMs.count).toBe(g.requests);
    const r = await runCli(['report', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/phase cli · closed c=4/);
    expect(r.stdout).toMatch(/CHECKPOINT \(the run had not finished; its last phase is partial\)/);
  });

  it('removes the checkpoint once the final result is written', async () => {
    const out = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--concurrency', '2', '--duration', '2500ms', '--sim-ttft', '5', '--sim-itl', '2',
      '--checkpoint', '1s', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(resultFiles(out)).toHaveLength(1);
    expect(resultFiles(out)[0]).not.toMatch(/checkpoint/);
    expect(readOnlyResult(out).meta.checkpoint).toBeUndefined();
  });
});

describe('secrets', () => {
  let server: Server;
  let url = '';
  const seen: string[] = [];
  beforeAll(async () => {
    let n = 0;
    // Every third chat request is refused with a body that echoes the credentials back (some gateways
    // do); any other path (model list, version probes) echoes them in a header and in its body.
    server = createServer((req, res) => {
      const chat = req.method === 'POST' && req.url?.endsWith('/chat/completions');
      if (chat) seen.push(`${req.headers.authorization} ${req.headers['x-api-key']}`);
      req.resume();
      req.on('end', () => {
        if (!chat) {
          const echo = `${req.headers.authorization} ${req.headers['x-api-key']}`;
          res.writeHead(req.url?.endsWith('/models') ? 200 : 401, { 'content-type': 'application/json', 'x-echo': echo });
          res.end(req.url?.endsWith('/models') ? JSON.stringify({ data: [{ id: 'm', owned_by: echo }] }) : JSON.stringify({ error: echo }));
        } else if (++n % 3 === 0) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `invalid key ${req.headers.authorization} for ${req.headers['x-api-key']}` } }));
        } else {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each(['file', 'env'])('a key from --api-key-%s and a --header value leave no trace in the result, records, stdout or stderr', async (how) => {
    const out = tempDir();
    const key = `sk-test-${how}-7f3a9c1e5b`;
    const headerValue = 'tenant-secret-90210';
    const records = join(out, 'records.jsonl');
    const keyArgs = how === 'file' ? ['--api-key-file', join(out, 'key.txt')] : ['--api-key-env', 'LOADSHAPE_TEST_KEY'];
    writeFileSync(join(out, 'key.txt'), `${key}\n`);
    seen.length = 0;
    const r = await runCli(
      ['run', fixture('timing.yaml'), '--target', url, '--concurrency', '2', '--requests', '9', ...keyArgs, '--header', `X-Api-Key: ${headerValue}`,
        '--records', records, '--out', join(out, 'results')],
      { env: { LOADSHAPE_TEST_KEY: key } },
    );
    expect(r.code).toBe(0);
    // the key did go to the server (else this test could not fail)
    expect(seen).toEqual(Array(9).fill(`Bearer ${key} ${headerValue}`));
    const result = readOnlyResult(join(out, 'results'));
    expect(all(result.phases[0].groups).errorsByClass).toEqual({ http_4xx: 3 });
    expect(result.errorSamples.http_4xx?.[0]).toBe('HTTP 401: invalid key <redacted> for <redacted>');
    expect(result.meta.argv).toContain('X-Api-Key: <redacted>');
    const resultText = readFileSync(join(out, 'results', resultFiles(join(out, 'results'))[0]), 'utf8');
    for (const text of [resultText, readFileSync(records, 'utf8'), r.stdout, r.stderr]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(3));
      expect(text).not.toContain(headerValue);
    }
  });
});

describe('bad input: one clear message, exit 4, no output file', () => {
  let good = '';
  beforeAll(async () => {
    const dir = tempDir();
    const r = await runCli(['run', fixture('timing.yaml'), '--concurrency', '2', '--requests', '4', '--sim-ttft', '2', '--sim-itl', '1', '--out', dir, '--quiet']);
    expect(r.code).toBe(0);
    good = join(dir, resultFiles(dir)[0]);
  });

  it.each([
    [['--concurrency', '2', '--duration', '5x'], /--duration: "5x" is not a duration; write e\.g\./],
    [['--rate', '-1', '--duration', '1s'], /--rate/],
    [['--target', 'localhost:8000', '--concurrency', '1', '--requests', '1'], /--target: use http:\/\/ or https:\/\//],
    [['--concurrency', '1', '--requests', '1', '--retry', '429,abc'], /--retry: "abc" is not an HTTP error status/],
    [['--concurrency', '1', '--requests', '1', '--max-retries', '2'], /--max-retries needs --retry/],
    [['--concurrency', '1', '--requests', '1', '--checkpoint', 'often'], /--checkpoint: "often" is not a duration/],
    [['--concurrency', '1', '--requests', '1', '--api-key-file', '/nonexistent/key'], /--api-key-file: cannot read \/nonexistent\/key \(ENOENT\)/],
    [['--concurrency', '1', '--requests', '1', '--api-key-env', 'LOADSHAPE_SURELY_UNSET'], /--api-key-env: environment variable LOADSHAPE_SURELY_UNSET is not set/],
    [['--concurrency', '1', '--requests', '1', '--tokenizer', '/nonexistent/tokenizer.json'], /\/nonexistent\/tokenizer\.json: cannot read the tokenizer/],
  ])('run %j', async (args, message) => {
    const out = join(tempDir(), 'results');
    const r = await runCli(['run', fixture('timing.yaml'), ...args, '--out', out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('run: a workload with a misspelt field names file, field and suggestion', async () => {
    const dir = tempDir();
    const wl = join(dir, 'typo.yaml');
    writeFileSync(wl, readFileSync(fixture('timing.yaml'), 'utf8').replace('output_tokens', 'output_tokenz'));
    const r = await runCli(['run', wl, '--out', join(dir, 'results')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/typo\.yaml/);
    expect(r.stderr).toMatch(/output_tokenz/);
    expect(r.stderr).toMatch(/did you mean "output_tokens"/);
    expect(existsSync(join(dir, 'results'))).toBe(false);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, Math.floor(t.length / 2)), /not valid JSON .*the file may be truncated/],
    ['another version', (t: string) => t.replace('"version": 1', '"version": 99'), /result format version 99 is not supported by this loadshape \(reads version 1\)/],
    ['not loadshape', () => '{"hello": "world"}', /not a loadshape result file \(expected "format": "loadshape-result"\)/],
    ['a wrong field', (t: string) => t.replace(/"sent": \d+/, '"sent": "many"'), /phases\[0\]\.sent: .*expected number.*restore it or rerun/],
  ])('report refuses a result file that is %s, and writes no HTML', async (_what, mangle, message) => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, mangle(readFileSync(good, 'utf8')));
    const html = join(dir, 'out.html');
    const r = await runCli(['report', bad, '--html', html]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad\.json: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(existsSync(html)).toBe(false);
  });
});

describe('retries from the command line', () => {
  it('--retry 429 retries each rate-limited request and counts the retried attempts apart from requests', async () => {
    let n = 0;
    // With one request in flight at a time, every first attempt is refused and every retry answered.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!req.url?.endsWith('/chat/completions')) {
          res.writeHead(404);
          res.end();
          return;
        }
        if (++n % 2 === 1) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
          res.end('{"error":{"message":"slow down"}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    const out = tempDir();
    const base = ['run', fixture('timing.yaml'), '--target', url, '--model', 'm', '--concurrency', '1', '--requests', '4', '--quiet'];
    const r = await runCli([...base, '--retry', '429', '--max-retries', '2', '--out', out]);
    // and without --retry, the same server's 429s are plain errors
    const plainOut = tempDir();
    n = 0;
    const plain = await runCli([...base, '--out', plainOut]);
    await new Promise<void>((res) => server.close(() => res()));
    expect(r.code).toBe(0);
    const g = all(readOnlyResult(out).phases[0].groups);
    expect(g).toMatchObject({ requests: 4, ok: 4, errors: 0, retries: { attempts: 4, byStatus: { 429: 4 } } });
    expect(r.stdout).toMatch(/retried attempts \(not in the counts above\): HTTP 429 4/);
    expect(plain.stdout).not.toMatch(/retried/);
    expect(plain.code).toBe(0);
    const p = all(readOnlyResult(plainOut).phases[0].groups);
    expect(p).toMatchObject({ requests: 4, ok: 2, errors: 2, errorsByClass: { http_429: 2 }, retries: { attempts: 0, byStatus: {} } });
    expect(readOnlyResult(plainOut).errorSamples.http_429?.[0]).toBe('HTTP 429: slow down (Retry-After 0 ms)');
  });
});
