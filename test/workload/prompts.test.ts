import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MIN_VOCABULARY, PromptSynth, promptSynthFor } from '../../src/workload/prompts.js';
import { defaultTokenizer, loadTokenizer, type Tokenizer } from '../../src/workload/tokenizer.js';
import { CANDIDATE_WORDS } from '../../src/workload/words.js';
import { rngFor } from '../../src/util/rng.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tokenizer-wordlevel/tokenizer.json', import.meta.url));

describe('PromptSynth with o200k_base', () => {
  const tok = defaultTokenizer();
  const synth = promptSynthFor(tok);

  it('keeps only words that are one token with and without a leading space', () => {
    expect(synth.exact).toBe(true);
    expect(synth.vocabulary.length).toBeGreaterThan(500);
    for (const w of synth.vocabulary) {
      expect(tok.count(w)).toBe(1);
      expect(tok.count(` ${w}`)).toBe(1);
    }
    // "mountain" is two tokens in o200k_base, so it must have been dropped.
    expect(CANDIDATE_WORDS).toContain('mountain');
    expect(synth.vocabulary).not.toContain('mountain');
  });

  it.each([0, 1, 2, 7, 100, 1_000, 10_000, 100_000])('synthesises exactly %i tokens', (n) => {
    const text = synth.text(n, rngFor(3, n));
    expect(tok.encode(text).length).toBe(n);
  });

  it('is deterministic in the rng', () => {
    expect(synth.text(50, rngFor(9))).toBe(synth.text(50, rngFor(9)));
    expect(synth.text(50, rngFor(9))).not.toBe(synth.text(50, rngFor(10)));
  });

  it('spells distinct labels with distinct leading words, even in short texts', () => {
    const seen = new Set<string>();
    for (let label = 0; label < 2_000; label++) seen.add(synth.labelledText(2, label, rngFor(label)));
    expect(seen.size).toBe(2_000);
    // Full-width labels differ for far-apart 32-bit values too, and keep the exact count.
    const a = synth.labelledText(10, 0xffff_fff0, rngFor(1));
    const b = synth.labelledText(10, 0x0fff_fff0, rngFor(1));
    expect(a.split(' ').slice(0, synth.labelWords)).not.toEqual(b.split(' ').slice(0, synth.labelWords));
    expect(tok.count(a)).toBe(10);
  });
});

describe('PromptSynth with a Hugging Face tokenizer.json', () => {
  it('synthesises exact counts with the fixture tokenizer, using only words it knows', async () => {
    const tok = await loadTokenizer(FIXTURE);
    const synth = new PromptSynth(tok);
    expect(synth.exact).toBe(true);
    // The fixture holds every other candidate word; unknown words would encode as [UNK] and are dropped.
    expect(synth.vocabulary.length).toBe(Math.ceil(CANDIDATE_WORDS.length / 2));
    for (const n of [1, 100, 10_000]) {
      const text = synth.text(n, rngFor(n));
      const ids = tok.encode(text);
      expect(ids.length).toBe(n);
      expect(ids).not.toContain(0);
    }
  });
});

describe('PromptSynth on unusual tokenizers', () => {
  it('falls back to encode-and-adjust when words merge across spaces, and stays exact', () => {
    // A word-level tokenizer that merges "of the" into one token, as a tokenizer without a
    // whitespace pre-split could.
    const ids = new Map(CANDIDATE_WORDS.map((w, i) => [w, i + 1] as const));
    const encode = (text: string): number[] => {
      const words = text.trim().split(/\s+/).filter((w) => w !== '');
      const out: number[] = [];
      for (let i = 0; i < words.length; i++) {
        if (words[i] === 'of' && words[i + 1] === 'the') {
          out.push(99_999);
          i++;
        } else out.push(ids.get(words[i]) ?? 0);
      }
      return out;
    };
    const merging: Tokenizer = {
      name: 'merging',
      encode,
      decode: (xs) => xs.map((x) => (x === 99_999 ? 'of the' : CANDIDATE_WORDS[x - 1])).join(' '),
      count: (text) => encode(text).length,
    };
    const synth = new PromptSynth(merging);
    expect(synth.exact).toBe(false);
    for (const n of [1, 50, 5_000]) expect(merging.count(synth.text(n, rngFor(n)))).toBe(n);
  });

  it('refuses a tokenizer that knows too few English words, naming it', () => {
    const chars: Tokenizer = {
      name: 'chars',
      encode: (text) => [...text].map((c) => c.charCodeAt(0)),
      decode: (xs) => String.fromCharCode(...xs),
      count: (text) => [...text].length,
    };
    expect(() => new PromptSynth(chars)).toThrow(`tokenizer chars: only 0 common English words encode as one token (loadshape needs ${MIN_VOCABULARY}`);
  });
});
