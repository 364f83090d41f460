import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { OpenAIClient } from '../../src/client/openai.js';
import { RetryingSender, backoffMs, parseRetryAfterMs, parseRetryStatuses, type RetryPolicy } from '../../src/client/retry.js';
import { runCollected } from '../../src/driver/collect.js';
import { realClock } from '../../src/util/clock.js';
import { assembleResult } from '../../src/results/assemble.js';
import { ResultSchema } from '../../src/results/format.js';
import { onePlan, startFaultServer, type FaultServer } from './fault-server.js';

describe('backoffMs', () => {
  const p = { baseMs: 100, maxMs: 1000 };
  it('doubles the jitter ceiling per retry and caps it', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(p, n, null, 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffMs(p, 3, null, 0)).toBe(0);
    expect(backoffMs(p, 3, null, 0.5)).toBe(200);
  });
  it("honours the server's Retry-After over its own schedule, capped at maxMs", () => {
    expect(backoffMs(p, 1, 250, 0.9)).toBe(250);
    expect(backoffMs(p, 4, 0, 0.9)).toBe(0);
    expect(backoffMs(p, 1, 60_000, 0.1)).toBe(1000);
  });
});

describe('parseRetryAfterMs / parseRetryStatuses', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const nowMs = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('3', nowMs)).toBe(3000);
    expect(parseRetryAfterMs(' 0.5 ', nowMs)).toBe(500);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:07 GMT', nowMs)).toBe(7000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', nowMs)).toBe(0);
    expect(parseRetryAfterMs('soon', nowMs)).toBeNull();
    expect(parseRetryAfterMs(undefined, nowMs)).toBeNull();
  });
  it('parses a status list and refuses what is not an error status', () => {
    expect([...parseRetryStatuses('429, 503')]).toEqual([429, 503]);
    expect(() => parseRetryStatuses('429,abc')).toThrow('"abc" is not an HTTP error status');
    expect(() => parseRetryStatuses('200')).toThrow('"200"');
    expect(() => parseRetryStatuses(',')).toThrow('no status given');
  });
});

describe('RetryingSender through the Driver', () => {
  let server: FaultServer;
  const attempts = new Map<string, number>();
  beforeAll(async () => {
    // /raw/<id>/<failures>/<status>: fail <failures> times with <status>, then answer.
    server = await startFaultServer({
      raw: (req, res) => {
        const [, , , id, failures, status] = (req.url ?? '').split('/');
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        if (n <= Number(failures)) {
          res.writeHead(Number(status), { 'content-type': 'application/json', ...(status === '429' ? { 'retry-after': '0.02' } : {}) });
          res.end(JSON.stringify({ error: { message: `busy ${n}` } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
      },
    });
  });
  afterAll(() => server.close());

  it('retries listed statuses with backoff, counts retried attempts apart, and keeps the final attempt on the record', async () => {
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const client = new OpenAIClient({ baseUrl: server.url }, now);
    const policy: RetryPolicy = { statuses: new Set([429, 503]), maxRetries: 2, baseMs: 10, maxMs: 50 };
    const sender = new RetryingSender(client, policy, () => 0.5);
    // class → the server behaviour of its request
    const routes: Record<string, string> = {
      twice429: '/raw/a/2/429', // succeeds on the 3rd attempt
      once503: '/raw/b/1/503', // succeeds on the 2nd
      always429: '/raw/c/9/429', // exhausts 2 retries, ends as http_429
      once500: '/raw/d/1/500', // 500 is not retried
    };
    const names = Object.keys(routes);
    const planner = {
      workload: {} as never,
      plan: (phaseIndex: number, requestIndex: number) => ({ ...onePlan(routes[names[requestIndex]]), phaseIndex, requestIndex, className: names[requestIndex] }),
    };
    const d = await runCollected({
      planner, client: sender, clock: realClock(t0), seed: 1, classNames: names,
      phases: [{ index: 0, name: 'p', record: true, durationMs: null, maxRequests: names.length, load: { kind: 'closed', concurrency: 4 } }],
    });
    await client.close();
    const s = d.phases[0].stats!;
    expect(s.group('twice429').counters).toMatchObject({ requests: 1, ok: 1, retries: { attempts: 2, byStatus: { 429: 2 } } });
    expect(s.group('once503').counters).toMatchObject({ requests: 1, ok: 1, retries: { attempts: 1, byStatus: { 503: 1 } } });
    expect(s.group('always429').counters).toMatchObject({ requests: 1, errors: 1, errorsByClass: { http_429: 1 }, retries: { attempts: 2, byStatus: { 429: 2 } } });
    expect(s.group('once500').counters).toMatchObject({ requests: 1, errors: 1, errorsByClass: { http_5xx: 1 }, retries: { attempts: 0 } });
    expect(s.all.counters).toMatchObject({ requests: 4, ok: 2, errors: 2, retries: { attempts: 5, byStatus: { 429: 4, 503: 1 } } });
    expect(attempts.get('c')).toBe(3);
    expect(attempts.get('d')).toBe(1);
    // the final error message is the last attempt's
    expect(d.errorSamples.http_429).toEqual(['HTTP 429: busy 3 (Retry-After 20 ms)']);
    expect(sender.inFlightCount).toBe(0);

    // the result file carries the retry counts per group and validates
    const meta = { interrupted: false } as never;
    const result = assembleResult(d, meta, { eventLoopDelayP50Ms: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, eventLoopUtilization: 0, cpuPercent: 0, peakRssMb: 0 });
    const all = result.phases[0].groups[0];
    expect(all.retries).toEqual({ attempts: 5, byStatus: { 429: 4, 503: 1 } });
    expect(ResultSchema.shape.phases.safeParse(result.phases).success).toBe(true);
  });

  it('abortAll ends a backoff wait at once and returns the last attempt', async () => {
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const client = new OpenAIClient({ baseUrl: server.url }, now);
    const sender = new RetryingSender(client, { statuses: new Set([503]), maxRetries: 5, baseMs: 10_000, maxMs: 10_000 }, () => 0.99);
    const pending = sender.send({ plan: onePlan('/raw/e/9/503'), phase: 'p', scheduledAtMs: 0 });
    await new Promise((r) => setTimeout(r, 100));
    expect(sender.inFlightCount).toBe(1); // waiting out its backoff, still in flight
    const started = performance.now();
    sender.abortAll();
    const o = await pending;
    expect(performance.now() - started).toBeLessThan(200);
    expect(o.record.errorClass).toBe('http_5xx');
    expect(o.retries).toBeUndefined(); // the attempt on the record is not also counted as a retry
    await client.close();
  });
});
