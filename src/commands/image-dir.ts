// `run --image-dir DIR` (I/O edge): reads the folder's PNG and JPEG files once, before anything is
// sent, and checks that each decodes; the planner samples them by seed (workload/plan.ts).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../util/errors.js';
import { decodeImageFile, type EncodedImage } from '../workload/images.js';

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** The folder's images in name order (so a seed picks the same files on every machine). */
export async function loadImageDir(dir: string): Promise<EncodedImage[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => IMAGE_FILE.test(n)).sort();
  } catch (err) {
    throw usageError(`--image-dir: cannot read ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (names.length === 0) throw usageError(`--image-dir: ${dir} holds no .png, .jpg or .jpeg file; add some, or drop --image-dir to send synthetic images`);
  const out: EncodedImage[] = [];
  for (const name of names) {
    const decoded = decodeImageFile(await readFile(join(dir, name)));
    if ('error' in decoded) throw usageError(`--image-dir: ${join(dir, name)}: ${decoded.error}; remove it or replace it with a PNG or JPEG`);
    out.push(decoded);
  }
  return out;
}
