// The `sim` command (I/O edge): runs the embedded simulator in the foreground until SIGINT or
// SIGTERM, so a load test can be pointed at it from another terminal or process.
import type { SimSettings } from '../sim/config.js';
import { startSimulator } from '../sim/server.js';
import { loadSimSettings } from './embedded-sim.js';
import type { SimCommandFlags } from './options.js';

/** The flags' engine parameters by their SimSettings names (unset ones keep the profile's). */
function engineSettings(o: SimCommandFlags): Partial<SimSettings> {
  return {
    decodeBaseMs: o.decodeBaseMs,
    decodePerSeqMs: o.decodePerSeqMs,
    prefillChunkTokens: o.prefillChunk,
    maxRunningSeqs: o.maxSeqs,
    kvBudgetTokens: o.kvTokens,
    // commander sets preemption: true unless --no-preemption; only the negation is a choice.
    preemption: o.preemption === false ? false : undefined,
    blockTokens: o.blockTokens,
    slots: o.slots,
    seed: o.seed,
    // commander sets vision / reasoningUsage true unless negated; only the negation is a choice.
    vision: o.vision === false ? false : undefined,
    imagePatchPx: o.imagePatchPx,
    reasoningTokens: o.reasoning,
    reasoningInUsage: o.reasoningUsage === false ? false : undefined,
    ...(o.model !== undefined ? { model: o.model } : {}),
  };
}

export async function simCommand(opts: SimCommandFlags): Promise<void> {
  const settings = await loadSimSettings({
    prefix: '--',
    profile: opts.profile,
    config: opts.config,
    faults: opts.fault,
    ttftMs: opts.ttft,
    itlMs: opts.itl,
    prefillMsPerToken: opts.prefillPerToken,
    settings: engineSettings(opts),
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
