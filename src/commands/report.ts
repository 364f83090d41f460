// `loadshape report <result.json>`: reprint a result's summary (or its JSON).
import { readResult } from '../results/io.js';
import { renderSummary } from '../report/text.js';

export async function reportCommand(file: string, opts: { format: string }): Promise<void> {
  const result = await readResult(file);
  if (opts.format === 'json') {
    // Everything but the encoded histograms: the summaries a script wants.
    process.stdout.write(`${JSON.stringify(result, (k, v) => (k === 'hdr' || k === 'ttftHdr' ? undefined : v), 1)}\n`);
    return;
  }
  process.stdout.write(`${renderSummary(result)}\n`);
}
