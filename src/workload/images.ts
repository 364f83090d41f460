// Images in prompts (planning side, pure): seeded synthetic PNG/JPEG images, and the pool of real
// images a run reads from --image-dir (the command reads the files; this module only checks bytes).
// A synthetic image mixes coloured blocks, a gradient and per-pixel noise from the request's rng:
// the noise keeps it from compressing to nothing (a flat image would make upload cost vanish, and
// an engine's image cache would hit on identical images); PNG lands near 2.7 bytes per pixel and
// JPEG (quality 85) near 1.0 (test/workload/images.test.ts pins the sizes of a 256×256 image).
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Rng } from '../util/rng.js';

export type ImageFormat = 'png' | 'jpeg';

export interface EncodedImage {
  format: ImageFormat;
  width: number;
  height: number;
  /** The encoded file. */
  bytes: Buffer;
}

/** Side of the colour blocks, px. */
const BLOCK_PX = 16;
/** Noise amplitude per channel (0..255): enough entropy that deflate keeps roughly two thirds. */
const NOISE = 96;
const JPEG_QUALITY = 85;

/** A seeded synthetic image of `width` × `height` pixels. Same rng state, same bytes. */
export function syntheticImage(width: number, height: number, format: ImageFormat, rng: Rng): EncodedImage {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  const bw = Math.ceil(w / BLOCK_PX);
  const blocks = new Uint8Array(bw * Math.ceil(h / BLOCK_PX) * 3);
  for (let i = 0; i < blocks.length; i++) blocks[i] = Math.floor(rng() * 160);
  const rgba = Buffer.alloc(w * h * 4);
  // One rng draw gives four noise bytes (32 bits), so a large image stays cheap to make.
  let bits = 0;
  let left = 0;
  for (let y = 0; y < h; y++) {
    const by = Math.floor(y / BLOCK_PX) * bw;
    for (let x = 0; x < w; x++) {
      const b = (by + Math.floor(x / BLOCK_PX)) * 3;
      const o = (y * w + x) * 4;
      const grad = ((x + y) * 64) / (w + h);
      for (let c = 0; c < 3; c++) {
        if (left === 0) {
          bits = Math.floor(rng() * 4294967296);
          left = 4;
        }
        const noise = ((bits & 0xff) * NOISE) >> 8;
        bits >>>= 8;
        left--;
        rgba[o + c] = Math.min(255, blocks[b + c] + grad + noise);
      }
      rgba[o + 3] = 255;
    }
  }
  const bytes = format === 'png' ? pngBytes(w, h, rgba) : jpeg.encode({ width: w, height: h, data: rgba }, JPEG_QUALITY).data;
  return { format, width: w, height: h, bytes };
}

function pngBytes(width: number, height: number, rgba: Buffer): Buffer {
  // RGB, no alpha: what a photo or a screenshot is; colorType 2 drops the constant alpha channel.
  return PNG.sync.write(Object.assign(new PNG({ width, height }), { data: rgba }), { colorType: 2, filterType: 0, deflateLevel: 1 });
}

/** The `data:` URL an image_url part carries. */
export function dataUrl(image: EncodedImage): string {
  return `data:image/${image.format};base64,${image.bytes.toString('base64')}`;
}

/** What a file's bytes are, by magic number and by a full decode: null when it is neither a PNG nor a JPEG that decodes. */
export function decodeImageFile(bytes: Buffer): EncodedImage | { error: string } {
  try {
    if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) {
      const png = PNG.sync.read(bytes);
      return { format: 'png', width: png.width, height: png.height, bytes };
    }
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
      const img = jpeg.decode(bytes, { useTArray: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 512 });
      return { format: 'jpeg', width: img.width, height: img.height, bytes };
    }
    return { error: 'not a PNG or JPEG file (by its first bytes)' };
  } catch (err) {
    return { error: `does not decode: ${(err as Error).message}` };
  }
}
