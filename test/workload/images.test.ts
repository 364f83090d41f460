import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { dataUrl, decodeImageFile, syntheticImage } from '../../src/workload/images.js';
import { mulberry32 } from '../../src/util/rng.js';

describe('synthetic images', () => {
  it('are the same bytes for the same seed and differ for another', () => {
    const a = syntheticImage(64, 48, 'png', mulberry32(7));
    const b = syntheticImage(64, 48, 'png', mulberry32(7));
    const c = syntheticImage(64, 48, 'png', mulberry32(8));
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
  });

  it('decode to the asked size, as PNG and as JPEG', () => {
    const png = PNG.sync.read(syntheticImage(100, 60, 'png', mulberry32(1)).bytes);
    expect([png.width, png.height]).toEqual([100, 60]);
    const jpg = jpeg.decode(syntheticImage(100, 60, 'jpeg', mulberry32(1)).bytes);
    expect([jpg.width, jpg.height]).toEqual([100, 60]);
  });

  it('are not trivially compressible: a 256×256 PNG is over 2.5 bytes a pixel, a JPEG over 0.8 (the sizes the README states)', () => {
    const png = syntheticImage(256, 256, 'png', mulberry32(3)).bytes.length;
    const jpg = syntheticImage(256, 256, 'jpeg', mulberry32(3)).bytes.length;
    expect(png / (256 * 256)).toBeGreaterThan(2.5);
    expect(png / (256 * 256)).toBeLessThan(3.1);
    expect(jpg / (256 * 256)).toBeGreaterThan(0.8);
    expect(jpg / (256 * 256)).toBeLessThan(1.3);
  });

  it('travel as data URLs with their media type', () => {
    const img = syntheticImage(8, 8, 'jpeg', mulberry32(2));
    const url = dataUrl(img);
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(Buffer.from(url.slice('data:image/jpeg;base64,'.length), 'base64').equals(img.bytes)).toBe(true);
  });
});

describe('image files (--image-dir)', () => {
  it('are recognised by their bytes and decoded for their size', () => {
    const png = decodeImageFile(syntheticImage(30, 20, 'png', mulberry32(4)).bytes);
    expect(png).toMatchObject({ format: 'png', width: 30, height: 20 });
    const jpg = decodeImageFile(syntheticImage(30, 20, 'jpeg', mulberry32(4)).bytes);
    expect(jpg).toMatchObject({ format: 'jpeg', width: 30, height: 20 });
  });

  it('that are neither PNG nor JPEG, or do not decode, say why', () => {
    expect(decodeImageFile(Buffer.from('GIF89a....'))).toEqual({ error: 'not a PNG or JPEG file (by its first bytes)' });
    const cut = syntheticImage(30, 20, 'png', mulberry32(4)).bytes.subarray(0, 40);
    expect(decodeImageFile(cut)).toMatchObject({ error: expect.stringMatching(/^does not decode: /) });
  });
});
