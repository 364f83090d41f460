// Acceptance for secrets, end to end through the built CLI: for random keys (public prefix, random
// secret part) echoed by a hostile loopback server at random offsets and in random letter case, in
// error bodies, stream chunks, `error:` fields and tool-call arguments, and given inside URLs
// (`--target=` userinfo, `--server-metrics` userinfo and ?token=), no piece of 8 or more characters
// of the secret part reaches any file loadshape writes (result, records, HTML report) or its
// stdout/stderr (run, report, report --format json). Bounded: 3 runs of 14 requests each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, runCli, tempDir } from './helpers.js';
import { leakedFragments } from '../util/leaks.js';

const MODES = ['ok', 'error_json', 'error_text', 'malformed_chunk', 'error_object', 'error_field', 'tool_args'] as const;

/** What the server does with the key this run: where it puts it and how it mangles it. */
let echo: { offset: number; casing: 'same' | 'lower' | 'upper' } = { offset: 0, casing: 'same' };
let server: Server;
let port = 0;

beforeAll(async () => {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '');
      const raw = auth.replace(/^Bearer /, '');
      const k = echo.casing === 'lower' ? raw.toLowerCase() : echo.casing === 'upper' ? raw.toUpperCase() : raw;
      const text = `${'q'.repeat(echo.offset)}${k} was rejected`;
      const chat = req.method === 'POST' && req.url?.endsWith('/chat/completions');
      if (!chat) {
        // Model list, version probes, metrics: the key in a server header and in the body.
        res.writeHead(req.url?.endsWith('/models') ? 200 : 401, { 'content-type': 'application/json', server: `echo ${k}`, 'x-engine-version': text.slice(-60) });
        res.end(req.url?.endsWith('/models') ? JSON.stringify({ data: [{ id: 'm', owned_by: text }] }) : JSON.stringify({ error: text }));
        return;
      }
      const sse = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
      const chunk = (c: string, finish: string | null = null) => sse({ choices: [{ index: 0, delta: { content: c }, finish_reason: finish }] });
      const stream = (parts: string[]) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(parts.join(''));
      };
      switch (MODES[n++ % MODES.length]) {
        case 'ok':
          return stream([chunk('hi'), chunk('!', 'stop'), 'data: [DONE]\n\n']);
        case 'error_json':
          res.writeHead(401, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: { message: text } }));
        case 'error_text':
          res.writeHead(500, { 'content-type': 'text/plain' });
          return res.end(text);
        case 'malformed_chunk':
          return stream([chunk('a'), `data: ${text}\n\n`]);
        case 'error_object':
          return stream([chunk('a'), sse({ error: { message: text } })]);
        case 'error_field':
          return stream([chunk('a'), `error: ${text}\n\n`, 'data: [DONE]\n\n']);
        case 'tool_args': {
          const cut = echo.offset + 5;
          const tool = (args: string, name?: string) =>
            sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...(name ? { id: 'c1' } : {}), function: { ...(name ? { name } : {}), arguments: args } }] }, finish_reason: null }] });
          return stream([tool(`{"q":"${text.slice(0, cut)}`, 'lookup'), tool(`${text.slice(cut)}"}`), sse({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })]);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Every file under `dir`, read as text. */
function filesIn(dir: string): { name: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ name: join(e.parentPath, e.name), text: readFileSync(join(e.parentPath, e.name), 'utf8') }));
}

describe('secrets never leave loadshape, end to end', () => {
  it('property: no piece of 8+ characters of a random key part is in any written file, stdout or stderr', async () => {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('sk-proj-', 'sk-', 'hf_'),
        fc.string({ unit: fc.constantFrom(...abc), minLength: 24, maxLength: 164 }),
        fc.nat({ max: 420 }),
        fc.constantFrom('same', 'lower', 'upper') as fc.Arbitrary<'same' | 'lower' | 'upper'>,
        async (prefix, part, offset, casing) => {
          echo = { offset, casing };
          const key = prefix + part;
          const dir = tempDir('loadshape-secrets-');
          const out = join(dir, 'results');
          const run = await runCli(
            ['run', fixture('timing.yaml'), `--target=http://user:${key}@127.0.0.1:${port}/v1`, '--model', 'm', '--concurrency', '2', '--requests', '14',
              '--api-key-env', 'LOADSHAPE_TEST_KEY', '--server-metrics', `http://metrics:${key}@127.0.0.1:${port}/metrics?token=${key}&page=1`,
              '--records', join(dir, 'records.jsonl'), '--out', out],
            { env: { LOADSHAPE_TEST_KEY: key }, timeoutMs: 60_000 },
          );
          expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
          expect(run.code).toBe(0);
          const resultFile = readdirSync(out).find((f) => f.endsWith('.json'))!;
          const result = JSON.parse(readFileSync(join(out, resultFile), 'utf8')) as { meta: { argv: string[] }; errorSamples: Record<string, string[]> };
          // The run really was exposed: the server echoed the key into these (else the test could not fail).
          expect(Object.keys(result.errorSamples).sort()).toEqual(['http_4xx', 'http_5xx', 'malformed', 'stream_error']);
          expect(result.meta.argv).toContain(`--target=http://redacted@127.0.0.1:${port}/v1`);
          const report = await runCli(['report', join(out, resultFile), '--html', join(dir, 'report.html')]);
          const json = await runCli(['report', join(out, resultFile), '--format', 'json']);
          expect(report.code).toBe(0);
          expect(json.code).toBe(0);
          const outputs = [
            ...filesIn(dir),
            ...[run, report, json].flatMap((r, i) => [{ name: `stdout ${i}`, text: r.stdout }, { name: `stderr ${i}`, text: r.stderr }]),
          ];
          expect(outputs.length).toBeGreaterThanOrEqual(9);
          for (const o of outputs) expect({ where: o.name, leaked: leakedFragments(o.text, part) }).toEqual({ where: o.name, leaked: [] });
        },
      ),
      { numRuns: 3, seed: 0x5ec },
    );
  }, 240_000);
});
