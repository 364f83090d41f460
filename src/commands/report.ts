// `loadshape report <result.json>`: reprint a result's summary (text, Markdown or JSON), and
// optionally write the self-contained HTML report. A sweep's result also reprints its answer.
import { readResult } from '../results/io.js';
import type { SweepResult } from '../results/format.js';
import { renderSummary } from '../report/text.js';
import { renderSummaryMarkdown } from '../report/markdown.js';
import { renderRunHtml } from '../report/html.js';
import { renderSweepText } from '../report/sweep-text.js';
import { writeOut } from './compare.js';
import { readAbResultIfAny, type AbResult } from '../results/ab-format.js';
import { abJson, renderAbMarkdown, renderAbText } from '../report/ab-render.js';
import { renderAbHtml } from '../report/html-ab.js';

async function reportAb(ab: AbResult, opts: { format: string; html?: string }): Promise<void> {
  if (opts.html) {
    await writeOut(opts.html, renderAbHtml(ab));
    process.stderr.write(`wrote ${opts.html}\n`);
  }
  const text = opts.format === 'json' ? JSON.stringify(abJson(ab), null, 1) : opts.format === 'md' ? renderAbMarkdown(ab) : renderAbText(ab);
  process.stdout.write(`${text}\n`);
}

/** The sweep's answer in Markdown: the sentence, what bounded it, the knee. */
function sweepMarkdown(s: SweepResult): string {
  const out = ['### Sweep answer', '', `**${s.sentence}**`, ''];
  if (s.boundedBy.length > 0) out.push(`- bounded by: ${s.boundedBy.join('; ')}`);
  if (s.knee) out.push(`- knee: ${s.knee.phase} (${s.knee.achievedRps.toFixed(1)} req/s)`);
  out.push(`- ${s.steps.length} steps (sweep by ${s.by}), ${s.steps.filter((x) => x.pass).length} held the SLOs`);
  return out.join('\n');
}

export async function reportCommand(file: string, opts: { format: string; html?: string }): Promise<void> {
  // An A/B pairing file (loadshape ab) reports its paired summary; its two side files are normal results.
  const ab = await readAbResultIfAny(file);
  if (ab) return reportAb(ab, opts);
  const result = await readResult(file);
  if (opts.html) {
    await writeOut(opts.html, renderRunHtml(file, result));
    process.stderr.write(`wrote ${opts.html}\n`);
  }
  if (opts.format === 'json') {
    // Everything but the encoded histograms: the summaries a script wants.
    process.stdout.write(`${JSON.stringify(result, (k, v) => (k === 'hdr' || k === 'ttftHdr' ? undefined : v), 1)}\n`);
    return;
  }
  if (opts.format === 'md') {
    process.stdout.write(`${renderSummaryMarkdown(result)}${result.sweep ? `\n\n${sweepMarkdown(result.sweep)}` : ''}\n`);
    return;
  }
  process.stdout.write(`${renderSummary(result)}${result.sweep ? `\n\n${renderSweepText(result.sweep)}` : ''}\n`);
}
