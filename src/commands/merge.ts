// `loadshape merge a.json b.json … > merged.json`: exact merge of shards (or workers, or repeats).
import { readResult, writeResult } from '../results/io.js';
import { mergeResults } from '../results/merge.js';
import { checkOutputPaths } from './output-paths.js';

export async function mergeCommand(files: string[], opts: { out?: string }): Promise<void> {
  const results = await Promise.all(files.map((f) => readResult(f)));
  const merged = mergeResults(results, files);
  if (opts.out) {
    await checkOutputPaths([{ flag: '--out', path: opts.out, kind: 'file' }]); // names the flag and why, not a bare EEXIST
    await writeResult(opts.out, merged);
    process.stderr.write(`merged ${files.length} results into ${opts.out}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(merged, null, 1)}\n`);
  }
}
