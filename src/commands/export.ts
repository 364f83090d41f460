// `loadshape export csv results/*.json`: result files → CSV on stdout or --out FILE.
import { readResult } from '../results/io.js';
import { toCsv, toLongCsv } from '../report/csv.js';
import { usageError } from '../util/errors.js';
import { writeOut } from './compare.js';
import { readAbResultIfAny } from '../results/ab-format.js';
import { abCsv } from '../report/ab-render.js';

export async function exportCommand(format: string, files: string[], opts: { long?: boolean; out?: string }): Promise<void> {
  if (format !== 'csv') throw usageError(`export: unknown format "${format}" (supported: csv)`);
  if (files.length === 0) throw usageError('export csv: give one or more result files');
  const ab = files.length === 1 ? await readAbResultIfAny(files[0]) : null;
  const inputs = [];
  if (!ab) for (const file of files) inputs.push({ file, result: await readResult(file) });
  // A pairing file (loadshape ab): one row per paired metric statistic.
  const csv = ab ? abCsv(ab) : opts.long ? toLongCsv(inputs) : toCsv(inputs);
  if (opts.out) {
    await writeOut(opts.out, csv);
    process.stderr.write(`wrote ${opts.out}\n`);
  } else process.stdout.write(csv);
}
