import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { OpenAIClient } from '../../src/client/openai.js';
import type { RequestPlan } from '../../src/workload/plan.js';

const plan: RequestPlan = {
  phaseIndex: 0, requestIndex: 0, className: 'c', kind: 'chat', path: '/chat/completions', body: '{}', promptTokens: 1, maxTokens: 2,
};
const CHUNK = (content: string, finish: string | null) =>
  `data: {"choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`;

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A raw TCP server that answers every request with `reply` and then does `then`. */
async function rawServer(reply: string, then: 'reset' | 'keep'): Promise<string> {
  server = createServer((sock) => {
    sock.once('data', () => {
      sock.write(reply);
      if (then === 'reset') setTimeout(() => sock.resetAndDestroy(), 20);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}/v1`;
}

async function send(baseUrl: string) {
  const t0 = performance.now();
  const client = new OpenAIClient({ baseUrl, timeouts: { idleMs: 2000, ttfbMs: 2000, totalMs: 5000 } }, () => performance.now() - t0);
  const out = await client.send({ plan, phase: 'p', scheduledAtMs: 0 });
  await client.close();
  return out;
}

describe('the client at the edges of a response', () => {
  it('counts a stream that finished ([DONE] and finish_reason) and was then reset as ok', async () => {
    const body = CHUNK('hi', null) + CHUNK('!', 'stop') + 'data: [DONE]\n\n';
    const url = await rawServer(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n`, 'reset');
    const { record } = await send(url);
    expect(record.status).toBe('ok');
    expect(record.finishReason).toBe('stop');
    expect(record.outputTokens).toBe(2);
  });

  it('keeps the HTTP class of an error response whose body was cut short', async () => {
    const url = await rawServer('HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"error":{"mess', 'reset');
    const { record } = await send(url);
    expect(record.errorClass).toBe('http_5xx');
    expect(record.httpStatus).toBe(503);
  });

  it('classifies a reply that is not HTTP as malformed, not as a refused connection', async () => {
    const url = await rawServer('SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n', 'keep');
    const { record } = await send(url);
    expect(record.errorClass).toBe('malformed');
  });
});
