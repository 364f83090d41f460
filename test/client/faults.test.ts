// The fault matrix: every way a target can fail, driven through the real Driver and OpenAIClient
// against loopback servers, each classified, and the run's other requests unharmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import { OpenAIClient, type RequestInput, type RequestOutcome } from '../../src/client/openai.js';
import type { ErrorClass } from '../../src/client/record.js';
import type { RequestSender } from '../../src/driver/run.js';
import { runCollected } from '../../src/driver/collect.js';
import { realClock } from '../../src/util/clock.js';
import { closedPort } from '../commands/helpers.js';
import { selfSignedCert } from '../tls-cert.js';
import { FAULTS, LONG_MESSAGE, faultPlanner, onePlan, startFaultServer, type Fault, type FaultServer } from './fault-server.js';

const EXPECTED: Record<(typeof FAULTS)[number], ErrorClass> = {
  reset_before_headers: 'reset',
  http_400: 'http_4xx',
  http_429: 'http_429',
  http_500: 'http_5xx',
  http_503_loading: 'http_5xx',
  redirect_307: 'http_4xx',
  error_object: 'stream_error',
  event_error: 'stream_error',
  cut_midstream: 'stream_truncated',
  no_done: 'stream_truncated',
  malformed_json: 'malformed',
  oversize: 'malformed',
  stall: 'timeout_idle',
  slow_headers: 'timeout_ttfb',
  total: 'timeout_total',
};

const clock = () => {
  const c = realClock();
  return c.now;
};
const TIMEOUTS = { ttfbMs: 400, idleMs: 400, totalMs: 1500 };

let server: FaultServer;
let elsewhere: FaultServer;

beforeAll(async () => {
  elsewhere = await startFaultServer();
  server = await startFaultServer({ redirectTo: `http://127.0.0.1:${elsewhere.port}` });
});
afterAll(async () => {
  await server.close();
  await elsewhere.close();
});

describe('fault matrix through the Driver', () => {
  it('classifies each fault and completes every other request of the run', async () => {
    const now = clock();
    const client = new OpenAIClient({ baseUrl: server.url, timeouts: TIMEOUTS, maxEventBytes: 4096, headers: { authorization: 'Bearer sk-fault-matrix-key' } }, now);
    // Even requests are healthy, odd ones each get one fault: healthy requests share the server and the connection pool with the faults.
    const classOf = (i: number): Fault => (i % 2 === 0 ? 'ok' : FAULTS[(i - 1) / 2]);
    const outcomes = new Map<string, RequestOutcome>();
    const run = runCollected({
      planner: faultPlanner(classOf),
      phases: [{ index: 0, name: 'faults', record: true, durationMs: null, maxRequests: FAULTS.length * 2, load: { kind: 'closed', concurrency: 12 } }],
      client,
      clock: realClock(),
      seed: 1,
      classNames: ['ok', ...FAULTS],
      sinks: [{ record: (r, o) => void (r.class !== 'ok' && outcomes.set(r.class, o)) }],
    });
    const started = performance.now();
    const d = await run;
    await client.close();
    expect(performance.now() - started).toBeLessThan(6000);

    const stats = d.phases[0].stats!;
    const ok = stats.group('ok').counters;
    expect(ok.requests).toBe(FAULTS.length);
    expect(ok.ok).toBe(FAULTS.length);
    expect(ok.errors).toBe(0);
    for (const fault of FAULTS) {
      const c = stats.group(fault).counters;
      expect({ fault, requests: c.requests, errorsByClass: c.errorsByClass }).toEqual({ fault, requests: 1, errorsByClass: { [EXPECTED[fault]]: 1 } });
      expect(outcomes.get(fault)?.record.status).toBe('error');
      expect(outcomes.get(fault)?.errorMessage, fault).toBeTruthy();
    }

    // What the engine said is kept, truncated
    const m400 = outcomes.get('http_400')!.errorMessage!;
    expect(m400.startsWith('HTTP 400: context length exceeded: xxx')).toBe(true);
    expect(m400.length).toBeLessThan(340);
    expect(m400.endsWith('…')).toBe(true);
    expect(LONG_MESSAGE.length).toBeGreaterThan(1000);
    expect(outcomes.get('http_503_loading')!.errorMessage).toBe('HTTP 503: Model is loading');
    expect(outcomes.get('http_500')!.errorMessage).toBe('HTTP 500: Internal Server Error');
    // 429: Retry-After recorded
    const o429 = outcomes.get('http_429')!;
    expect(o429.retryAfterMs).toBe(3000);
    expect(o429.record.httpStatus).toBe(429);
    expect(o429.errorMessage).toBe('HTTP 429: rate limit reached (Retry-After 3000 ms)');
    // in-band errors keep the engine's words
    expect(outcomes.get('error_object')!.errorMessage).toBe('CUDA out of memory');
    expect(outcomes.get('error_object')!.record.httpStatus).toBe(200);
    expect(outcomes.get('event_error')!.errorMessage).toBe('event: error: engine overloaded');
    expect(outcomes.get('malformed_json')!.errorMessage).toMatch(/not valid JSON/);
    expect(outcomes.get('oversize')!.errorMessage).toMatch(/over the size limit: more than 4096 bytes/);
    expect(outcomes.get('no_done')!.errorMessage).toMatch(/without \[DONE\] or a finish_reason, after 2 output chunks/);
    // the stalled and timed-out requests still carry what arrived before
    expect(outcomes.get('stall')!.record.firstChunkMs).not.toBeNull();
    expect(outcomes.get('total')!.record.chunks).toBeGreaterThan(5);
    // redirects are not followed: the other host never saw the request, nor the key
    expect(outcomes.get('redirect_307')!.errorMessage).toBe(
      `HTTP 307: redirect to http://127.0.0.1:${elsewhere.port} not followed (loadshape does not follow redirects; point --target at the final URL)`,
    );
    expect(elsewhere.hits.size).toBe(0);
    // error samples per class went into the driver result
    expect(d.errorSamples.timeout_ttfb?.[0]).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
    expect(d.errorSamples.timeout_total?.[0]).toMatch(/no complete response within 1500 ms/);
  });
});

/** Routes each class to its own client: one run spanning several targets. */
class Router implements RequestSender {
  constructor(private readonly byClass: Record<string, OpenAIClient>) {}
  get inFlightCount(): number {
    return Object.values(this.byClass).reduce((s, c) => s + c.inFlightCount, 0);
  }
  send(input: RequestInput): Promise<RequestOutcome> {
    return this.byClass[input.plan.className].send(input);
  }
}

describe('connection-level faults', () => {
  let plainTcp: NetServer;
  let https: HttpsServer | null = null;
  let httpsPort = 0;

  beforeAll(async () => {
    // Speaks plain HTTP to a TLS client: the handshake fails.
    plainTcp = createNetServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    });
    await new Promise<void>((r) => plainTcp.listen(0, '127.0.0.1', r));
    // A self-signed certificate, made here, when openssl is at hand.
    const tls = selfSignedCert();
    if (tls) {
      https = createHttpsServer(tls, (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
        });
      });
      await new Promise<void>((r) => https!.listen(0, '127.0.0.1', r));
      httpsPort = (https.address() as { port: number }).port;
    }
  });
  afterAll(async () => {
    await new Promise<void>((r) => plainTcp.close(() => r()));
    if (https) await new Promise<void>((r) => https!.close(() => r()));
  });

  it('classifies refused, DNS and TLS failures, while the healthy target in the same run completes', async () => {
    const now = clock();
    const port = await closedPort();
    const mk = (baseUrl: string) => new OpenAIClient({ baseUrl, timeouts: TIMEOUTS }, now);
    const clients: Record<string, OpenAIClient> = {
      ok: mk(server.url),
      refused: mk(`http://127.0.0.1:${port}/v1`),
      // .invalid never resolves (RFC 2606): no traffic leaves the machine
      dns: mk('http://loadshape-test.invalid/v1'),
      tls: mk(`https://127.0.0.1:${(plainTcp.address() as { port: number }).port}/v1`),
    };
    const names = ['ok', 'refused', 'ok', 'dns', 'ok', 'tls'];
    const planner = {
      workload: {} as never,
      plan: (phaseIndex: number, requestIndex: number) => ({ ...onePlan('/f/ok'), phaseIndex, requestIndex, className: names[requestIndex % names.length] }),
    };
    const d = await runCollected({
      planner,
      phases: [{ index: 0, name: 'p', record: true, durationMs: null, maxRequests: names.length * 2, load: { kind: 'closed', concurrency: 3 } }],
      client: new Router(clients),
      clock: realClock(),
      seed: 1,
      classNames: ['ok', 'refused', 'dns', 'tls'],
    });
    await Promise.all(Object.values(clients).map((c) => c.close()));
    const s = d.phases[0].stats!;
    expect(s.group('ok').counters).toMatchObject({ requests: 6, ok: 6, errors: 0 });
    expect(s.group('refused').counters.errorsByClass).toEqual({ connect: 2 });
    expect(s.group('dns').counters.errorsByClass).toEqual({ dns: 2 });
    expect(s.group('tls').counters.errorsByClass).toEqual({ tls: 2 });
    expect(d.errorSamples.connect?.[0]).toMatch(/ECONNREFUSED/);
    expect(d.errorSamples.dns?.[0]).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(d.errorSamples.tls?.[0]).toMatch(/ERR_SSL_/);
  });

  it('refuses a self-signed certificate by default and accepts it with insecure', async (ctx) => {
    if (!https) ctx.skip(); // openssl not installed: nothing to make a certificate with
    const now = clock();
    const url = `https://127.0.0.1:${httpsPort}/v1`;
    const strict = new OpenAIClient({ baseUrl: url, timeouts: TIMEOUTS }, now);
    const lax = new OpenAIClient({ baseUrl: url, timeouts: TIMEOUTS, insecure: true }, now);
    const input = { plan: onePlan('/chat/completions'), phase: 'p', scheduledAtMs: now() };
    const refused = await strict.send(input);
    const accepted = await lax.send(input);
    await strict.close();
    await lax.close();
    expect(refused.record.errorClass).toBe('tls');
    expect(refused.errorMessage).toMatch(/SELF_SIGNED|CERT/);
    expect(accepted.record.status).toBe('ok');
    expect(accepted.record.outputTokens).toBe(1);
  });
});

describe('secrets in what the server says', () => {
  it('scrubs the API key and secret header values a server echoes back from error samples', async () => {
    const echo = await startFaultServer({
      raw: (req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization} / ${req.headers['x-api-key']}` } }));
      },
    });
    const now = clock();
    const client = new OpenAIClient({ baseUrl: echo.url, headers: { authorization: 'Bearer sk-live-0123456789', 'x-api-key': 'tenant-secret-42' } }, now);
    const o = await client.send({ plan: onePlan('/raw'), phase: 'p', scheduledAtMs: now() });
    await client.close();
    await echo.close();
    expect(o.record.errorClass).toBe('http_4xx');
    expect(o.errorMessage).toBe('HTTP 401: Incorrect API key provided: <redacted> / <redacted>');
  });
});
