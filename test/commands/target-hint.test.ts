// Issue 18, item 8: a target that answers every request the same wrong way gets the likely fix named:
// a base URL without /v1 (HTTP 404 everywhere) and https:// against a plain-HTTP port
// (ERR_SSL_WRONG_VERSION_NUMBER), both at model discovery and after a run whose every request failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runEvidence, targetHint } from '../../src/commands/target-hint.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { fixture, runCli, tempDir } from './helpers.js';

describe('the hint for a misaddressed target', () => {
  it('names the URL to use', () => {
    expect(targetHint('http://gpu:8000', { notFound: true, codes: [] })).toBe('HTTP 404: the base URL likely lacks /v1; use --target http://gpu:8000/v1');
    expect(targetHint('http://gpu:8000/v1', { notFound: true, codes: [] })).toMatch(/ending in \/v1\) and that the server serves the model requested/);
    expect(targetHint('https://gpu:8000/v1', { notFound: false, codes: ['ERR_SSL_WRONG_VERSION_NUMBER'] })).toBe('the port answers plain HTTP, not TLS: use --target http://gpu:8000/v1');
    expect(targetHint('http://gpu:8000/v1', { notFound: false, codes: ['ECONNREFUSED'] })).toBeNull();
  });

  it('reads the evidence from a run\'s errors: every failure a 404, TLS codes from the samples', () => {
    expect(runEvidence({ http_4xx: 3 }, { http_4xx: ['HTTP 404: no route'] })).toEqual({ notFound: true, codes: [] });
    expect(runEvidence({ http_4xx: 3, http_5xx: 1 }, { http_4xx: ['HTTP 404: no route'] }).notFound).toBe(false);
    expect(runEvidence({ http_4xx: 3 }, { http_4xx: ['HTTP 400: bad'] }).notFound).toBe(false);
    expect(runEvidence({ tls: 2 }, { tls: ['ERR_SSL_WRONG_VERSION_NUMBER: 80BC…:wrong version number'] }).codes).toEqual(['ERR_SSL_WRONG_VERSION_NUMBER']);
  });
});

describe('run against a misaddressed target (built CLI, loopback simulator)', () => {
  let sim: SimServer;
  let root: string;
  beforeAll(async () => {
    sim = await startSimulator({ profile: 'fixed', ttftMs: 1, itlMs: 1, prefillMsPerToken: 0 });
    root = sim.url.replace(/\/v1$/, '');
  });
  afterAll(() => sim.close());
  const common = () => ['run', fixture('timing.yaml'), '--concurrency', '1', '--requests', '2', '--server-metrics', 'none', '--quiet', '--out', join(tempDir(), 'r')];

  it('without /v1: every request 404s, and the line names --target …/v1', async () => {
    const r = await runCli([...common(), '--target', root, '--model', 'loadshape-sim']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`every request to ${root} failed (http_4xx 2); HTTP 404: the base URL likely lacks /v1; use --target ${root}/v1`);
  });

  it('https against the plain-HTTP port: model discovery names the http:// URL', async () => {
    const https = sim.url.replace(/^http:/, 'https:');
    const r = await runCli([...common(), '--target', https]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`loadshape: ${https}/models: could not discover the model (ERR_SSL_WRONG_VERSION_NUMBER); the port answers plain HTTP, not TLS: use --target ${sim.url}\n`);
  });
});
