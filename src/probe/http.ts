// Engine-side I/O: one small HTTP function that the probe, provenance, readiness and server-metrics
// modules take as a parameter, so their logic stays pure and testable against any loopback server.
// Every call is bounded (a timeout and a body cap) and never throws: a transport failure is a value.
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { backoffMs, parseRetryAfterMs, type RetryPolicy } from '../client/retry.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** JSON-serialised when an object; sent as is when a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Limit on the whole exchange, headers and body. */
  timeoutMs: number;
}

export interface HttpRead {
  /** Monotonic receive time of this network read (ms, the function's clock). */
  atMs: number;
  data: Buffer;
}

export type HttpResult =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string>;
      reads: HttpRead[];
      sentAtMs: number;
      endAtMs: number;
      /** The body was cut at the size cap. */
      truncated: boolean;
    }
  | { kind: 'error'; code: string; message: string; sentAtMs: number };

export type HttpFn = (req: HttpRequest) => Promise<HttpResult>;

export function bodyText(r: HttpResult): string {
  return r.kind === 'response' ? Buffer.concat(r.reads.map((x) => x.data)).toString('utf8') : '';
}

export function bodyJson(r: HttpResult): unknown {
  try {
    return JSON.parse(bodyText(r));
  } catch {
    return undefined;
  }
}

export interface UndiciHttp {
  http: HttpFn;
  close(): Promise<void>;
}

/** The real transport: undici with its own pool, extra headers on every request (authorization included, never logged). */
export function createHttp(opts: { headers?: Record<string, string>; now?: () => number; maxBodyBytes?: number; insecure?: boolean } = {}): UndiciHttp {
  const now = opts.now ?? (() => performance.now());
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  // insecure: a self-signed staging endpoint is probed as it is run (--insecure, off by default).
  const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 10_000, connect: { timeout: 5_000, ...(opts.insecure ? { rejectUnauthorized: false } : {}) } });
  const http: HttpFn = async (req) => {
    const sentAtMs = now();
    const signal = AbortSignal.timeout(req.timeoutMs);
    const headers: Record<string, string> = { ...opts.headers, ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        body,
        dispatcher: agent,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const reads: HttpRead[] = [];
      let bytes = 0;
      let truncated = false;
      for await (const chunk of res.body) {
        const data = chunk as Buffer;
        reads.push({ atMs: now(), data });
        bytes += data.length;
        if (bytes > maxBody) {
          truncated = true;
          res.body.destroy();
          break;
        }
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return { kind: 'response', status: res.statusCode, headers: flat, reads, sentAtMs, endAtMs: now(), truncated };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
      const code = signal.aborted ? 'timeout' : (e.code ?? e.cause?.code ?? e.name ?? 'error');
      return { kind: 'error', code, message: e.cause?.message ?? e.message ?? String(err), sentAtMs };
    }
  };
  return { http, close: () => agent.close() };
}

/** The server root of a base URL ending in /v1: where /health, /version, /metrics live. */
export function serverRoot(baseUrl: string): string {
  const u = new URL(baseUrl);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${u.origin}${path}`;
}

/**
 * --retry for the probe: a response whose status the policy names is retried after the same backoff a
 * run uses (the server's Retry-After, else jittered exponential), up to maxRetries; the last answer is
 * what the probe judges. `rand` and `sleep` are injected (the core never calls Math.random itself).
 */
export function retryingHttp(http: HttpFn, policy: RetryPolicy, rand: () => number, sleep: (ms: number) => Promise<void>): HttpFn {
  return async (req) => {
    for (let retry = 1; ; retry++) {
      const r = await http(req);
      if (r.kind !== 'response' || !policy.statuses.has(r.status) || retry > policy.maxRetries) return r;
      await sleep(backoffMs(policy, retry, parseRetryAfterMs(r.headers['retry-after'], Date.now()), rand()));
    }
  };
}
