// The common wiring of a run that only needs its result: a Driver whose first sink is a RunCollector.
// Commands that add sinks reading the collector (checkpoints, the sweep's step watch) wire it themselves.
import { RunCollector, type CollectorOptions, type DriverResult } from '../metrics/collector.js';
import { Driver, type DriverOptions } from './run.js';

export async function runCollected(opts: DriverOptions & CollectorOptions): Promise<DriverResult> {
  const collector = new RunCollector(opts);
  const driver = new Driver({ ...opts, sinks: [collector, ...(opts.sinks ?? [])] });
  return collector.result(await driver.run());
}
