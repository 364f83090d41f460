// Arbitrary bytes from a server never throw out of the client: every response ends as a record,
// ok or with a classified error. Bounded: a fixed number of runs over one loopback server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { OpenAIClient } from '../../src/client/openai.js';
import { ERROR_CLASSES } from '../../src/client/record.js';
import { onePlan, startFaultServer, type FaultServer } from './fault-server.js';

interface Reply {
  status: number;
  parts: Uint8Array[];
  /** Close the socket instead of ending the body after the last part. */
  cut: boolean;
}

let reply: Reply = { status: 200, parts: [], cut: false };
let server: FaultServer;
let client: OpenAIClient;
const t0 = performance.now();
const now = () => performance.now() - t0;

beforeAll(async () => {
  server = await startFaultServer({
    raw: (_req, res) => {
      const r = reply;
      res.writeHead(r.status, { 'content-type': 'text/event-stream' });
      for (const p of r.parts) res.write(p);
      if (r.cut) res.socket?.destroy();
      else res.end();
    },
  });
  client = new OpenAIClient({ baseUrl: server.url, timeouts: { ttfbMs: 2000, idleMs: 2000, totalMs: 4000 }, maxEventBytes: 512 }, now);
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const enc = (s: string) => new TextEncoder().encode(s);
/** Pieces that look like an OpenAI stream, to reach deeper than random bytes do. */
const piece = fc.oneof(
  fc.constantFrom(
    'data: ', 'data:', 'event: error\n', 'event: message\n', '\n', '\r\n', '\r', '\n\n', ': keep-alive\n\n', '[DONE]', 'data: [DONE]\n\n',
    '{', '}', '"choices":', '[{"index":0,"delta":{"content":"hi"}}]', '{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}',
    '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', '{"error":{"message":"boom"}}', '{"object":"error","message":"bad"}',
    '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{"}}]}}]}',
    '{"usage":{"prompt_tokens":1,"completion_tokens":"x"}}',
    // A whole finishing chunk: a clean end needs a finish_reason ([DONE] alone is no_finish_reason).
    'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
    'data: {"error":{"message":"boom"}}\n\n', 'event: error\ndata: overloaded\n\n', 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n', 'null', '[1,2]', '"str"', '\uFEFF', '\u00e9', 'x'.repeat(600),
  ).map(enc),
  fc.uint8Array({ maxLength: 64 }),
);

const replies = fc.record({
  status: fc.constantFrom(200, 200, 200, 200, 201, 204, 301, 400, 429, 500, 503),
  body: fc.oneof(fc.uint8Array({ maxLength: 1500 }), fc.array(piece, { maxLength: 40 }).map((ps) => Buffer.concat(ps))),
  splits: fc.array(fc.nat({ max: 1500 }), { maxLength: 6 }),
  cut: fc.boolean(),
});

function split(body: Uint8Array, at: number[]): Uint8Array[] {
  const cuts = [...new Set(at.filter((i) => i > 0 && i < body.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(body.subarray(prev, c));
    prev = c;
  }
  out.push(body.subarray(prev));
  return out.filter((p) => p.length > 0);
}

describe('client under arbitrary server bytes', () => {
  it('always resolves to a record: ok, or an error with a known class', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(replies, async ({ status, body, splits, cut }) => {
        reply = { status, parts: split(body, splits), cut };
        const o = await client.send({ plan: onePlan('/raw'), phase: 'fuzz', scheduledAtMs: now() });
        const r = o.record;
        seen.add(r.errorClass ?? 'ok');
        if (r.status === 'ok') {
          expect(r.errorClass).toBeNull();
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(300);
          expect(r.e2eMs).not.toBeNull();
        } else {
          expect(ERROR_CLASSES).toContain(r.errorClass);
          expect(typeof o.errorMessage).toBe('string');
          expect(r.e2eMs).toBeNull();
        }
        // no timeouts: every reply ended promptly, so a timeout class would be a misclassification
        expect(r.errorClass ?? '').not.toMatch(/^timeout_/);
      }),
      { numRuns: 500, seed: 0x10ad5 },
    );
    // the generator reached the interesting outcomes, not only one of them
    for (const c of ['ok', 'malformed', 'stream_truncated', 'stream_error', 'http_4xx', 'http_5xx', 'http_429']) expect(seen).toContain(c);
  });
});
