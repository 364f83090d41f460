// A tiny loopback OpenAI-ish engine for probe tests, with the settings the simulator lacks: no usage
// at all, one request at a time, or no streaming. Streams max_tokens words, one every `itlMs`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeEngineOptions {
  usage: boolean;
  /** Serve one generation at a time (a blocking engine). */
  serial: boolean;
  /** Answer stream: true with a JSON body instead of SSE. */
  noStream: boolean;
  itlMs: number;
}

export async function startFakeEngine(opts: Partial<FakeEngineOptions> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const o: FakeEngineOptions = { usage: true, serial: false, noStream: false, itlMs: 2, ...opts };
  let chain: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'fake', object: 'model', max_model_len: 512 }] }));
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages?: unknown; max_tokens?: number; stream?: boolean; stream_options?: { include_usage?: boolean } };
      if (!Array.isArray(body.messages)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'messages must be a list' }));
        return;
      }
      const words = (body.messages as { content: string }[]).map((m) => m.content).join(' ').split(/\s+/).length;
      if (words > 512) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `prompt of ${words} tokens is over 512` }));
        return;
      }
      const n = body.max_tokens ?? 16;
      const serve = () => generate(res, n, body.stream === true && !o.noStream, o, body.stream_options?.include_usage === true);
      if (o.serial) chain = chain.then(serve);
      else void serve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function generate(res: http.ServerResponse, n: number, stream: boolean, o: FakeEngineOptions, includeUsage: boolean): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (!stream) {
    await sleep(n * o.itlMs);
    const text = Array.from({ length: n }, (_, i) => ` word${i}`).join('');
    const out: Record<string, unknown> = { choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }] };
    if (o.usage) out.usage = { prompt_tokens: 3, completion_tokens: n, total_tokens: n + 3 };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < n; i++) {
    await sleep(o.itlMs);
    const finish = i === n - 1 ? 'length' : null;
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ` word${i}` }, finish_reason: finish }] })}\n\n`);
  }
  if (o.usage && includeUsage) res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: n + 3 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}
