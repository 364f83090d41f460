// When a request counts as sent: when it is written on a connected socket. A connection that takes
// long to open (here a TLS handshake the server starts 300 ms late) is queue time, not the server's
// TTFT. Bounds are one-sided where they are wall-clock: the handshake delay is a floor any machine keeps.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIClient } from '../../src/client/openai.js';
import type { RequestPlan } from '../../src/workload/plan.js';
import { selfSignedCert } from '../tls-cert.js';

const HANDSHAKE_DELAY_MS = 300;
let tls: HttpsServer | null = null;
let front: TcpServer | null = null;
let url = '';

beforeAll(async () => {
  const cert = selfSignedCert();
  if (!cert) return; // no openssl: nothing to make a certificate with
  tls = createHttpsServer(cert, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n');
      res.end('data: [DONE]\n\n');
    });
  });
  // Accepted at once by the kernel, but the TLS server sees the connection only 300 ms later.
  front = createTcpServer((socket) => setTimeout(() => tls!.emit('connection', socket), HANDSHAKE_DELAY_MS));
  await new Promise<void>((resolve) => front!.listen(0, '127.0.0.1', () => resolve()));
  url = `https://127.0.0.1:${(front.address() as { port: number }).port}/v1`;
});

afterAll(async () => {
  front?.close();
  tls?.close();
});

const plan: RequestPlan = { phaseIndex: 0, requestIndex: 0, className: 'c', kind: 'chat', path: '/chat/completions', body: '{"model":"m","stream":true}', promptTokens: 1, maxTokens: 1 };

describe('send time', () => {
  it("counts a slow connection set-up as queue time, not as the server's time to first token", async (ctx) => {
    if (!tls) return ctx.skip();
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const client = new OpenAIClient({ baseUrl: url, insecure: true, timeouts: { ttfbMs: 10_000, idleMs: 10_000, totalMs: 20_000 } }, now);
    try {
      const { record } = await client.send({ plan, phase: 'p', scheduledAtMs: now() });
      expect(record.status).toBe('ok');
      expect(record.queueMs).toBeGreaterThanOrEqual(HANDSHAKE_DELAY_MS - 1);
      // The server answers at once: its TTFT is far below the handshake's delay.
      expect(record.ttftMs!).toBeLessThan(HANDSHAKE_DELAY_MS / 2);
      expect(record.sentAtMs - record.scheduledAtMs).toBeCloseTo(record.queueMs, 2);
    } finally {
      await client.close();
    }
  });
});
