// A loopback OpenAI-ish server whose every request path names the fault it gets: /v1/f/<fault>.
// Bounded: every timer and socket it opens is torn down by close().
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Planner, RequestPlan } from '../../src/workload/plan.js';

export const FAULTS = [
  'reset_before_headers',
  'http_400',
  'http_429',
  'http_500',
  'http_503_loading',
  'redirect_307',
  'error_object',
  'event_error',
  'cut_midstream',
  'no_done',
  'malformed_json',
  'oversize',
  'stall',
  'slow_headers',
  'total',
] as const;
export type Fault = (typeof FAULTS)[number] | 'ok';

export const LONG_MESSAGE = `context length exceeded: ${'x'.repeat(2000)}`;

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const content = (text: string, finish: string | null = null) =>
  chunk({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: finish }] });

export interface FaultServer {
  url: string;
  port: number;
  /** Requests received, by path. */
  hits: Map<string, number>;
  /** Custom responder for paths under /v1/raw (fuzzing). */
  raw?: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startFaultServer(opts: { redirectTo?: string; raw?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const hits = new Map<string, number>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      if (opts.raw && req.url?.startsWith('/v1/raw')) return opts.raw(req, res);
      const fault = (req.url ?? '').split('/').pop() as Fault;
      respond(fault, req, res);
    });
  });
  const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
  function respond(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault) {
      case 'ok':
        sse(res);
        res.write(chunk({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] }));
        res.write(content('Hello'));
        later(5, () => {
          res.write(content(' world', 'stop'));
          res.write(chunk({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
          res.end('data: [DONE]\n\n');
        });
        return;
      case 'reset_before_headers':
        req.socket.resetAndDestroy();
        return;
      case 'http_400':
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: LONG_MESSAGE, type: 'invalid_request_error' } }));
        return;
      case 'http_429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end(JSON.stringify({ error: { message: 'rate limit reached' } }));
        return;
      case 'http_500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Internal Server Error');
        return;
      case 'http_503_loading':
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Model is loading', code: 503 } }));
        return;
      case 'redirect_307':
        res.writeHead(307, { location: `${opts.redirectTo ?? 'http://127.0.0.1:9'}/v1/f/ok?token=abc` });
        res.end();
        return;
      case 'error_object':
        sse(res);
        res.write(content('Hel'));
        res.end(chunk({ error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } }));
        return;
      case 'event_error':
        sse(res);
        res.write(content('Hel'));
        res.end(`event: error\ndata: ${JSON.stringify({ error: { message: 'engine overloaded' } })}\n\n`);
        return;
      case 'cut_midstream':
        sse(res);
        res.write(content('Hel'));
        later(20, () => res.socket?.destroy());
        return;
      case 'no_done':
        sse(res);
        res.write(content('Hel'));
        res.end(content('lo'));
        return;
      case 'malformed_json':
        sse(res);
        res.write(content('Hel'));
        res.end('data: {"choices": [{"index": 0, "delta": {"content": "lo"\n\ndata: [DONE]\n\n');
        return;
      case 'oversize':
        sse(res);
        res.write(content('Hel'));
        res.end(content('y'.repeat(8192)));
        return;
      case 'stall':
        sse(res);
        res.write(content('Hel')); // then nothing, until the client gives up
        return;
      case 'slow_headers':
        return; // no response at all
      case 'total': {
        sse(res);
        const tick = setInterval(() => res.write(content('.')), 100);
        timers.add(tick);
        res.on('close', () => {
          clearInterval(tick);
          timers.delete(tick);
        });
        return;
      }
      default:
        res.writeHead(404);
        res.end();
    }
  }
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    hits,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A planner whose class names are fault names; the request path asks the server for that fault. */
export function faultPlanner(classOf: (requestIndex: number) => Fault): Planner {
  return {
    workload: {} as Planner['workload'],
    plan: (phaseIndex, requestIndex): RequestPlan => {
      const fault = classOf(requestIndex);
      return {
        phaseIndex, requestIndex, className: fault, kind: 'chat', path: `/f/${fault}` as RequestPlan['path'],
        body: '{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}', promptTokens: 3, maxTokens: 2,
      };
    },
  };
}

export function onePlan(path: string): RequestPlan {
  return {
    phaseIndex: 0, requestIndex: 0, className: 'x', kind: 'chat', path: path as RequestPlan['path'],
    body: '{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}', promptTokens: 3, maxTokens: 2,
  };
}
