// The client's warm start: connections opened ahead only on an endpoint that keeps them alive, and the
// receive path run on synthetic streams without touching the in-flight set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIClient } from '../../src/client/openai.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A loopback server answering GET /v1/models, counting connections; `close` answers `connection: close`. */
async function modelsServer(close: boolean): Promise<{ url: string; connections: () => number; gets: () => number }> {
  let connections = 0;
  let gets = 0;
  server = createServer((req, res) => {
    gets++;
    res.writeHead(200, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
    res.end('{"object":"list","data":[{"id":"m","object":"model"}]}');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, connections: () => connections, gets: () => gets };
}

describe('OpenAIClient.preconnect', () => {
  it('opens the asked connections on a keep-alive endpoint, and later rounds reuse them one at a time', async () => {
    const s = await modelsServer(false);
    const client = new OpenAIClient({ baseUrl: s.url }, () => 0);
    expect(await client.preconnect(5, 5_000, 3)).toEqual({ opened: 5, keepAlive: true });
    expect(s.connections()).toBe(5);
    expect(s.gets()).toBe(5 + 2);
    await client.close();
  });

  it('keeps nothing open, and sends no further rounds, on an endpoint that closes each connection', async () => {
    const s = await modelsServer(true);
    const client = new OpenAIClient({ baseUrl: s.url }, () => 0);
    expect(await client.preconnect(5, 5_000, 3)).toEqual({ opened: 0, keepAlive: false });
    expect(s.gets()).toBe(5);
    await client.close();
  });

  it('warms the receive path on synthetic streams without a request in flight or on the wire', () => {
    const client = new OpenAIClient({ baseUrl: 'http://127.0.0.1:9/v1' }, () => 0);
    client.warmHotPath(5, 8);
    expect(client.inFlightCount).toBe(0);
  });
});
