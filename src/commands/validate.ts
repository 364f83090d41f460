// `loadshape validate <workload>`: parse and check a workload file without sending anything.
import { loadWorkload } from '../workload/load.js';
import { phasePlans, describeLoad } from '../schedule/phases.js';

export async function validateCommand(file: string): Promise<void> {
  const { workload, file: path, sha256 } = await loadWorkload(file);
  const phases = phasePlans(workload);
  const totalWeight = workload.classes.reduce((s, c) => s + c.weight, 0);
  const lines = [
    `${path}: ok · workload ${workload.name} · seed ${workload.seed} · sha256 ${sha256.slice(0, 12)}`,
    `classes: ${workload.classes.map((c) => `${c.name} (${((c.weight / totalWeight) * 100).toFixed(0)}%, ${c.kind})`).join(', ')}`,
    `phases: ${phases
      .map((p) => `${p.name} [${describeLoad(p.load)}${p.durationMs !== null ? `, ${p.durationMs / 1000}s` : ''}${p.maxRequests !== null ? `, ${p.maxRequests} req` : ''}${p.record ? '' : ', warm-up'}]`)
      .join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
