// Runs the simulator in a worker thread, so the embedded target never shares an event loop with the
// harness measuring it (a shared loop would put the simulator's work into the client's latencies).
import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator, type SimOptions } from './server.js';

const server = await startSimulator((workerData ?? {}) as Partial<SimOptions>);
parentPort?.postMessage({ type: 'ready', url: server.url });
parentPort?.on('message', (msg: { type: string }) => {
  if (msg.type === 'close') {
    void server.close().then(() => {
      parentPort?.postMessage({ type: 'closed' });
      process.exit(0);
    });
  }
});
