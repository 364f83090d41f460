// Simulator, image inputs (pure): the size of a PNG or JPEG from its header (no decode), and the
// image-token rule. The rule is the simulator's documented stand-in for a vision encoder: tiles of
// `patchPx` × `patchPx` pixels, ceil(w / patchPx) × ceil(h / patchPx) tokens per image (28 px is
// Qwen2-VL's 14-px patches merged 2×2); `detail` is not read, as vLLM does not read it.

/** Width and height from a PNG's IHDR or a JPEG's start-of-frame marker; null for anything else. */
export function imageDims(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.toString('latin1', 12, 16) === 'IHDR') {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) return null;
      const marker = bytes[at + 1];
      const len = bytes.readUInt16BE(at + 2);
      // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
      }
      at += 2 + len;
    }
  }
  return null;
}

export function imageTokens(width: number, height: number, patchPx: number): number {
  return Math.ceil(width / patchPx) * Math.ceil(height / patchPx);
}

/** The bytes of a `data:image/...;base64,` URL; null when it is not one. */
export function dataUrlBytes(url: string): Buffer | null {
  const m = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(url);
  return m === null ? null : Buffer.from(url.slice(m[0].length), 'base64');
}
