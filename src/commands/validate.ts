// `loadshape validate <workload>`: parse and check a workload file without sending anything, and say
// in words what it would send: classes (with their images, reasoning fields and conversations) and phases
// (a `cache: both` phase is shown as the two phases it runs).
import { loadWorkload } from '../workload/load.js';
import { phasePlans, describeLoad } from '../schedule/phases.js';
import type { Distribution, RequestClass, Workload } from '../workload/schema.js';

export async function validateCommand(file: string): Promise<void> {
  const { workload, file: path, sha256 } = await loadWorkload(file);
  const phases = phasePlans(workload);
  const totalWeight = workload.classes.reduce((s, c) => s + c.weight, 0);
  const lines = [
    `${path}: ok · workload ${workload.name} · seed ${workload.seed} · sha256 ${sha256.slice(0, 12)}`,
    `classes: ${workload.classes.map((c) => `${c.name} (${((c.weight / totalWeight) * 100).toFixed(0)}%, ${[c.kind, ...conversationNotes(c)].join(', ')})`).join(', ')}`,
    `phases: ${phases
      .map((p) => `${p.name} [${describeLoad(p.load)}${p.durationMs !== null ? `, ${p.durationMs / 1000}s` : ''}${p.maxRequests !== null ? `, ${p.maxRequests} req` : ''}${p.record ? '' : ', warm-up'}${cacheNote(workload, p.index)}]`)
      .join(', ')}`,
    ...classDetails(workload),
  ];
  if (workload.phases.some((p) => p.cache !== undefined)) {
    lines.push(
      "  cache: a cold phase opens each request's first class text (the system prompt, else the user message) with a seeded salt, so nothing past the chat template's few header tokens is shared, at the same token counts; a warm phase shares what the classes share; `cache: both` runs <name>-cold then <name>-warm at the same load",
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** "multi-turn", "tool round trips": what makes a class's arrivals conversations. */
function conversationNotes(c: RequestClass): string[] {
  const out: string[] = [];
  if (c.session !== undefined) out.push('multi-turn');
  if (c.round_trip === true) out.push('tool round trips');
  return out;
}

function dist(d: Distribution, unit = ''): string {
  switch (d.type) {
    case 'fixed':
      return `${d.value}${unit}`;
    case 'uniform':
      return `${d.min}–${d.max}${unit}`;
    default:
      return `${d.type} mean ${d.mean}${unit}${d.min !== undefined || d.max !== undefined ? ` in [${d.min ?? 0}, ${d.max ?? '∞'}]` : ''}`;
  }
}

function cacheNote(w: Workload, index: number): string {
  const c = w.phases[index]?.cache;
  return c === 'cold' || c === 'warm' ? `, cache ${c}` : '';
}

/** One line per image or reasoning class: what it adds to each request. */
function classDetails(w: Workload): string[] {
  const out: string[] = [];
  for (const c of w.classes) {
    if (c.images !== undefined) {
      const i = c.images;
      out.push(
        `  ${c.name}: ${dist(i.count)} image(s) per request as image_url data: URLs, synthetic ${i.format} ${dist(i.width)} × ${dist(i.height)} px (a pool of 16 made before the run; --image-dir sends your files instead)${i.detail !== undefined ? `, detail ${i.detail}` : ''}`,
      );
    }
    if (c.reasoning !== undefined) {
      const r = c.reasoning;
      const sent = [r.effort !== undefined ? `reasoning_effort ${r.effort}` : null, r.template_kwargs !== undefined ? `chat_template_kwargs ${JSON.stringify(r.template_kwargs)}` : null].filter((x) => x !== null);
      out.push(`  ${c.name}: sends ${sent.join(' and ')}; records reasoning tokens (usage, else counted chunks) and the answer-only TPOT`);
    }
  }
  return out;
}
