// The simulator's image and reasoning rules (pure): image tokens from the PNG/JPEG header, the 400 of a
// text-only model, and reasoning tokens scaled by reasoning_effort.
import { describe, expect, it } from 'vitest';
import { planRequest, type EngineProfile } from '../../src/sim/model.js';
import { imageDims, imageTokens } from '../../src/sim/images.js';
import { dataUrl, syntheticImage } from '../../src/workload/images.js';
import { mulberry32 } from '../../src/util/rng.js';

const PROFILE: EngineProfile = { ttftMs: 50, prefillMsPerToken: 0.02, itlMs: 10, defaultMaxTokens: 256, maxModelLen: 100_000 };
const img = (w: number, h: number, format: 'png' | 'jpeg' = 'png') => ({ type: 'image_url', image_url: { url: dataUrl(syntheticImage(w, h, format, mulberry32(w * h))) } });
const body = (parts: unknown[], extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: [{ type: 'text', text: 'two words' }, ...parts] }], max_tokens: 20, stream: true, ...extra });

describe('simulator images', () => {
  it('reads the size from a PNG or JPEG header', () => {
    expect(imageDims(syntheticImage(57, 29, 'png', mulberry32(1)).bytes)).toEqual({ width: 57, height: 29 });
    expect(imageDims(syntheticImage(57, 29, 'jpeg', mulberry32(1)).bytes)).toEqual({ width: 57, height: 29 });
    expect(imageDims(Buffer.from('GIF89a'))).toBeNull();
  });

  it('charges ceil(w/28) × ceil(h/28) tokens per image on top of the text, and a patch size of choice', () => {
    expect(imageTokens(57, 29, 28)).toBe(3 * 2);
    const r = planRequest('chat', body([img(56, 56), img(57, 29, 'jpeg')]), PROFILE);
    expect(r.ok && r.plan.promptTokens).toBe(2 + 4 + 6);
    expect(r.ok && r.plan.imageTokens).toBe(10);
    const r14 = planRequest('chat', body([img(56, 56)]), { ...PROFILE, imagePatchPx: 14 });
    expect(r14.ok && r14.plan.promptTokens).toBe(2 + 16);
    // Prefill is paid on image tokens too.
    expect(r.ok && r.plan.firstTokenMs).toBeCloseTo(50 + 0.02 * 12, 6);
  });

  it('as a text-only model (vision: false), answers image parts with HTTP 400', () => {
    const r = planRequest('chat', body([img(28, 28)]), { ...PROFILE, vision: false });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.status).toBe(400);
    expect(!r.ok && r.error.body.error.message).toMatch(/text-only .*--no-vision/);
  });

  it('refuses an image it cannot read, saying what it takes', () => {
    const r = planRequest('chat', body([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }]), PROFILE);
    expect(!r.ok && r.error.body.error.message).toMatch(/data:image\/\.\.\.;base64 URL/);
  });
});

describe('simulator reasoning', () => {
  const reasoning = (extra: Record<string, unknown>, tokens = 8) => {
    const r = planRequest('chat', body([], extra), { ...PROFILE, reasoningTokens: tokens });
    if (!r.ok) throw new Error('expected a plan');
    return r.plan.reasoningTokens;
  };

  it('thinks the configured tokens, scaled by reasoning_effort, and not at all with enable_thinking false', () => {
    expect(reasoning({})).toBe(8);
    expect(reasoning({ reasoning_effort: 'low' })).toBe(2);
    expect(reasoning({ reasoning_effort: 'high' })).toBe(16);
    expect(reasoning({ chat_template_kwargs: { enable_thinking: false } })).toBe(0);
  });

  it('leaves at least one answer token within max_tokens', () => {
    expect(reasoning({ reasoning_effort: 'high' }, 50)).toBe(19);
  });
});
