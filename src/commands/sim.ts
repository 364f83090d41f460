// The `sim` command (I/O edge): runs the embedded simulator in the foreground until SIGINT or
// SIGTERM, so a load test can be pointed at it from another terminal or process.
import type { SimSettings } from '../sim/config.js';
import { startSimulator } from '../sim/server.js';
import { loadSimSettings } from './embedded-sim.js';

export interface SimCommandOptions {
  port?: number;
  host?: string;
  profile?: string;
  config?: string;
  fault?: string[];
  ttftMs?: number;
  itlMs?: number;
  prefillMsPerToken?: number;
  model?: string;
  /** Engine parameters and the like, by their SimSettings names. */
  settings?: Partial<SimSettings>;
}

export async function simCommand(opts: SimCommandOptions): Promise<void> {
  const settings = await loadSimSettings({
    prefix: '--',
    profile: opts.profile,
    config: opts.config,
    faults: opts.fault,
    ttftMs: opts.ttftMs,
    itlMs: opts.itlMs,
    prefillMsPerToken: opts.prefillMsPerToken,
    settings: { ...opts.settings, ...(opts.model !== undefined ? { model: opts.model } : {}) },
  });
  const sim = await startSimulator({ ...settings, host: opts.host, port: opts.port });
  process.stderr.write(`loadshape simulator (${settings.profile}) listening on ${sim.url}; metrics at ${sim.url.replace(/\/v1$/, '')}/metrics\n`);
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
