// `sweep` and `probe` take and honour the request options `run` takes (--insecure, --retry,
// --max-event-bytes, --api-key-file…), against a self-signed HTTPS endpoint on loopback: a TLS front
// made here (when openssl is at hand) that forwards to the in-process simulator, remembers the
// Authorization header it saw, and answers the first generation request 429.
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../tls-cert.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { readOnlyResult, runCli, tempDir } from './helpers.js';

const WORKLOAD = join(import.meta.dirname, '../sweep/fixtures/sweep.yaml');
const TINY = ['--slo', 'ttft.p95 < 5s', '--max-steps', '3', '--probe-concurrency', '4', '--step-duration', '2s', '--min-step-duration', '1s',
  '--steady-window', '1s', '--min-step-requests', '5', '--model', 'm', '--quiet',
  // A step whose client lagged cannot be the answer; these tests are about the client options, not the
  // harness's lag on a shared machine.
  '--max-client-lag', '1s'];

let sim: SimServer;
let front: Server | null = null;
let url = '';
let generations = 0;
const authorizations = new Set<string>();

beforeAll(async () => {
  sim = await startSimulator({ profile: 'fixed', ttftMs: 5, itlMs: 1, prefillMsPerToken: 0 });
  const tls = selfSignedCert();
  if (!tls) return; // no openssl: nothing to make a certificate with (front stays null)
  front = createHttpsServer(tls, (req, res) => {
    if (req.headers.authorization) authorizations.add(req.headers.authorization);
    if (req.url?.endsWith('/completions') && generations++ === 0) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"error":{"message":"busy"}}');
      return;
    }
    const up = httpRequest(`${sim.url.replace(/\/v1$/, '')}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => front!.listen(0, '127.0.0.1', () => resolve()));
  url = `https://127.0.0.1:${(front.address() as { port: number }).port}/v1`;
});

afterAll(async () => {
  front?.close();
  await sim.close();
});

describe('sweep takes the client options of run', () => {
  it('refuses a self-signed certificate by default, and sweeps it with --insecure, retrying the 429 with --retry', async (ctx) => {
    if (!front) ctx.skip();
    const refused = await runCli(['sweep', WORKLOAD, '--target', url, ...TINY, '--out', tempDir()]);
    expect(refused.code).toBe(5); // nothing succeeded: every request failed its TLS handshake
    expect(refused.stderr).toMatch(/every request to .* failed \(tls \d+/);

    generations = 0;
    const out = tempDir();
    const ok = await runCli(['sweep', WORKLOAD, '--target', url, ...TINY, '--insecure', '--retry', '429', '--out', out]);
    expect(ok.stderr).toMatch(/--insecure: TLS certificates are not verified/);
    expect(ok.code, ok.stderr).toBe(0);
    const result = readOnlyResult(out);
    const all = result.phases.flatMap((p) => p.groups.filter((g) => g.class === '*'));
    expect(all.reduce((s, g) => s + g.errors, 0)).toBe(0);
    expect(all.reduce((s, g) => s + (g.retries?.attempts ?? 0), 0)).toBe(1); // the first request's 429, retried
  });

  it('--max-event-bytes reaches the sweep client: events over it are malformed', async (ctx) => {
    if (!front) ctx.skip();
    generations = 1; // no 429 this time
    const out = tempDir();
    const r = await runCli(['sweep', WORKLOAD, '--target', url, ...TINY, '--insecure', '--max-event-bytes', '16', '--out', out]);
    expect(r.code).toBe(5);
    const result = readOnlyResult(out);
    const all = result.phases.flatMap((p) => p.groups.filter((g) => g.class === '*'));
    expect(all.every((g) => g.ok === 0 && (g.errorsByClass.malformed ?? 0) === g.requests)).toBe(true);
  });

  it('refuses a bad client flag before sending anything (exit 4 naming it)', async () => {
    const r = await runCli(['sweep', WORKLOAD, ...TINY, '--max-retries', '2', '--out', tempDir()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/--max-retries needs --retry/);
  });
});

describe('probe takes the credentials and TLS options of run', () => {
  it('probes a self-signed endpoint with --insecure, sending the key from --api-key-file', async (ctx) => {
    if (!front) ctx.skip();
    const keyFile = join(tempDir(), 'key');
    writeFileSync(keyFile, 'sk-probe-file-key\n');
    const refused = await runCli(['probe', '--target', url, '--model', 'm', '--timeout', '5s', '--json']);
    expect(refused.code).toBe(5); // cannot stream: every request failed its TLS handshake
    authorizations.clear();
    generations = 1; // no 429 this time
    const r = await runCli(['probe', '--target', url, '--model', 'm', '--timeout', '5s', '--json', '--insecure', '--api-key-file', keyFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).canStream).toBe(true);
    expect([...authorizations]).toEqual(['Bearer sk-probe-file-key']);
    expect(r.stdout).not.toContain('sk-probe-file-key');
  });

  it('retries the 429 with --retry, and judges events over --max-event-bytes malformed, as a run does', async (ctx) => {
    if (!front) ctx.skip();
    generations = 0; // the first generation request is answered 429
    const r = await runCli(['probe', '--target', url, '--model', 'm', '--timeout', '5s', '--json', '--insecure', '--retry', '429', '--max-retries', '1']);
    expect(r.code, r.stderr).toBe(0);
    const stream = JSON.parse(r.stdout).checks.find((c: { capability: string }) => c.capability === 'stream');
    expect(stream.verdict).toBe('supported');
    const small = await runCli(['probe', '--target', url, '--model', 'm', '--timeout', '5s', '--json', '--insecure', '--max-event-bytes', '20']);
    expect(small.code).toBe(5);
    expect(JSON.parse(small.stdout).checks.find((c: { capability: string }) => c.capability === 'stream').evidence).toMatch(/malformed: SSE event over the size limit/);
  });
});
