import { describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBetween } from '../../src/commands/between.js';
import { LoadshapeError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

async function healthServer(status: () => number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status());
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('runBetween', () => {
  it('runs the command with the side in LOADSHAPE_SIDE, then waits until the side answers', async () => {
    const dir = tempDir();
    const out = join(dir, 'side.txt');
    let calls = 0;
    const srv = await healthServer(() => (++calls < 3 ? 503 : 200));
    try {
      const r = await runBetween({ command: `printf %s "$LOADSHAPE_SIDE" > ${out}`, side: 'b', baseUrl: srv.url, readyLimitMs: 10_000 }, { sleep: async () => {}, stdio: 'ignore' });
      expect(readFileSync(out, 'utf8')).toBe('b');
      expect(r.exitCode).toBe(0);
      expect(r.readiness.ready).toBe(true);
      expect(r.readiness.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await srv.close();
    }
  });

  it('fails with an unreachable error naming the side when the command exits non-zero', async () => {
    const srv = await healthServer(() => 200);
    try {
      const err = await runBetween({ command: 'exit 3', side: 'a', baseUrl: srv.url, readyLimitMs: 1_000 }, { stdio: 'ignore' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LoadshapeError);
      expect((err as LoadshapeError).code).toBe('unreachable');
      expect((err as Error).message).toMatch(/side a failed \(exit 3\)/);
    } finally {
      await srv.close();
    }
  });

  it('fails naming the last answer when the side never gets ready', async () => {
    const srv = await healthServer(() => 503);
    let t = 0;
    try {
      const err = await runBetween({ command: null, side: 'b', baseUrl: srv.url, readyLimitMs: 2_000 }, { now: () => t, sleep: async (ms) => void (t += ms) }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/side b .* was not ready .*HTTP 503/);
    } finally {
      await srv.close();
    }
  });
});
