// `loadshape validate <workload>`: parse and check a workload file without sending anything.
import { loadWorkload } from '../workload/load.js';
import { phasePlans, describeLoad } from '../schedule/phases.js';
import type { RequestClass } from '../workload/schema.js';

export async function validateCommand(file: string): Promise<void> {
  const { workload, file: path, sha256 } = await loadWorkload(file);
  const phases = phasePlans(workload);
  const totalWeight = workload.classes.reduce((s, c) => s + c.weight, 0);
  const lines = [
    `${path}: ok · workload ${workload.name} · seed ${workload.seed} · sha256 ${sha256.slice(0, 12)}`,
    `classes: ${workload.classes.map((c) => `${c.name} (${((c.weight / totalWeight) * 100).toFixed(0)}%, ${[c.kind, ...conversationNotes(c)].join(', ')})`).join(', ')}`,
    `phases: ${phases
      .map((p) => `${p.name} [${describeLoad(p.load)}${p.durationMs !== null ? `, ${p.durationMs / 1000}s` : ''}${p.maxRequests !== null ? `, ${p.maxRequests} req` : ''}${p.record ? '' : ', warm-up'}]`)
      .join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** "multi-turn", "tool round trips": what makes a class's arrivals conversations. */
function conversationNotes(c: RequestClass): string[] {
  const out: string[] = [];
  if (c.session !== undefined) out.push('multi-turn');
  if (c.round_trip === true) out.push('tool round trips');
  return out;
}
