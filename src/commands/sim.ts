// The `sim` command (I/O edge): runs the embedded simulator in the foreground until SIGINT or
// SIGTERM, so a load test can be pointed at it from another terminal or process.
import { startSimulator } from '../sim/server.js';

export interface SimCommandOptions {
  port?: number;
  host?: string;
  ttftMs?: number;
  itlMs?: number;
  prefillMsPerToken?: number;
  model?: string;
}

export async function simCommand(opts: SimCommandOptions): Promise<void> {
  const sim = await startSimulator(opts);
  process.stderr.write(`loadshape simulator listening on ${sim.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write(`loadshape simulator: ${signal}, closing\n`);
  await sim.close();
}
