// Starts the embedded simulator in a worker thread and hands back its URL (the I/O edge of `run`
// without --target). The core never imports src/sim; only this command-side file names it.
import { Worker } from 'node:worker_threads';

export interface EmbeddedSim {
  url: string;
  options: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startEmbeddedSimulator(options: Record<string, unknown>): Promise<EmbeddedSim> {
  const worker = new Worker(new URL('../sim/worker.js', import.meta.url), { workerData: options });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { type: string; url: string }) => (m.type === 'ready' ? resolve(m.url) : reject(new Error(`simulator: ${m.type}`))));
  });
  return {
    url,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
        worker.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        worker.postMessage({ type: 'close' });
      }),
  };
}
