// `loadshape report <result.json>`: reprint a result's summary (text, Markdown or JSON), and
// optionally write the self-contained HTML report.
import { readResult } from '../results/io.js';
import { renderSummary } from '../report/text.js';
import { renderSummaryMarkdown } from '../report/markdown.js';
import { renderRunHtml } from '../report/html.js';
import { writeOut } from './compare.js';

export async function reportCommand(file: string, opts: { format: string; html?: string }): Promise<void> {
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
  process.stdout.write(`${opts.format === 'md' ? renderSummaryMarkdown(result) : renderSummary(result)}\n`);
}
