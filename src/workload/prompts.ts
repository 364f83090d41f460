// Prompt synthesis: text with an exact token count under a given tokenizer, drawn from a seeded rng.
// The planner (plan.ts) sizes every prompt with it; servers then see exactly the lengths the
// workload file asked for, which is what makes prefill cost comparable across runs and engines.
import type { Rng } from '../util/rng.js';
import { workloadError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { CANDIDATE_WORDS } from './words.js';

/** Below this many usable words prompts get repetitive enough to be compressed by caches or speculation. */
export const MIN_VOCABULARY = 64;

/**
 * Builds prompts from a vocabulary of common words that are each exactly one token both at the start
 * of a text and after a space. A prompt of n tokens is then n such words joined by single spaces:
 * O(n) with no encoding at all, so a 100k-token prompt costs a few milliseconds.
 *
 * That additivity is checked once per tokenizer (`exact`); a tokenizer that merges across words
 * (none of the common BPE, WordPiece or SentencePiece families do) falls back to encode-and-adjust.
 */
export class PromptSynth {
  readonly vocabulary: readonly string[];
  /** True when n vocabulary words joined by spaces are always exactly n tokens under this tokenizer. */
  readonly exact: boolean;
  /** Words needed to spell any 32-bit label (see labelledText). */
  readonly labelWords: number;

  constructor(readonly tokenizer: Tokenizer) {
    this.vocabulary = CANDIDATE_WORDS.filter((w) => isOneTokenWord(tokenizer, w));
    if (this.vocabulary.length < MIN_VOCABULARY) {
      throw workloadError(
        `tokenizer ${tokenizer.name}: only ${this.vocabulary.length} common English words encode as one token (loadshape needs ${MIN_VOCABULARY} to synthesise prompts); use a tokenizer for an English-capable model`,
      );
    }
    this.exact = wordsAreAdditive(tokenizer, this.vocabulary);
    this.labelWords = Math.ceil((32 * Math.LN2) / Math.log(this.vocabulary.length));
  }

  /** A text of exactly `nTokens` tokens (0 gives the empty string). */
  text(nTokens: number, rng: Rng): string {
    return this.fit(this.randomWords(nTokens, rng), rng);
  }

  /**
   * Like `text`, but the first words spell `label` (an unsigned 32-bit integer) in base
   * vocabulary-size, least significant digit first; the rest are random. Different labels give
   * different texts whenever nTokens >= labelWords, and labels below vocabulary.length^nTokens
   * differ even in shorter texts (the first word already differs between consecutive labels).
   * The planner uses this for unique prefixes: random words alone would let two requests share
   * their first words, and with them a cacheable prefix.
   */
  labelledText(nTokens: number, label: number, rng: Rng): string {
    const words = this.randomWords(nTokens, rng);
    const base = this.vocabulary.length;
    let rest = label >>> 0;
    for (let i = 0; i < Math.min(nTokens, this.labelWords); i++) {
      words[i] = this.vocabulary[rest % base];
      rest = Math.floor(rest / base);
    }
    return this.fit(words, rng);
  }

  private randomWords(nTokens: number, rng: Rng): string[] {
    if (!Number.isInteger(nTokens) || nTokens < 0) throw new RangeError(`nTokens must be a non-negative integer, got ${nTokens}`);
    const vocab = this.vocabulary;
    const words = new Array<string>(nTokens);
    for (let i = 0; i < nTokens; i++) words[i] = vocab[Math.floor(rng() * vocab.length)];
    return words;
  }

  /** Joins the words; on a non-additive tokenizer, adds or drops trailing words until the count is exact. */
  private fit(words: string[], rng: Rng): string {
    const target = words.length;
    if (this.exact) return words.join(' ');
    for (let attempt = 0; attempt < 32; attempt++) {
      const text = words.join(' ');
      const got = this.tokenizer.count(text);
      if (got === target) return text;
      if (got > target) words.length = Math.max(0, words.length - Math.max(1, Math.floor((got - target) / 2)));
      else for (let i = got; i < target; i++) words.push(this.vocabulary[Math.floor(rng() * this.vocabulary.length)]);
    }
    throw workloadError(`tokenizer ${this.tokenizer.name}: could not synthesise a prompt of exactly ${target} tokens; this tokenizer merges words across spaces`);
  }
}

const synths = new WeakMap<Tokenizer, PromptSynth>();

/** One PromptSynth per tokenizer: building the vocabulary encodes every candidate word a few times. */
export function promptSynthFor(tokenizer: Tokenizer): PromptSynth {
  let synth = synths.get(tokenizer);
  if (synth === undefined) {
    synth = new PromptSynth(tokenizer);
    synths.set(tokenizer, synth);
  }
  return synth;
}

function isOneTokenWord(tokenizer: Tokenizer, word: string): boolean {
  const bare = tokenizer.encode(word);
  const spaced = tokenizer.encode(` ${word}`);
  // The round trip rules out words a word-level vocabulary maps to its unknown token: one token,
  // but not the word the server would read.
  return bare.length === 1 && spaced.length === 1 && tokenizer.decode(bare).trim() === word && tokenizer.decode(spaced).trim() === word;
}

/**
 * Single-token words could still merge with their neighbours (a tokenizer without a whitespace
 * pre-split); every word next to every other is impractical to test, so the vocabulary is encoded
 * in order and reversed, which puts each word after two different neighbours.
 */
function wordsAreAdditive(tokenizer: Tokenizer, vocabulary: readonly string[]): boolean {
  const forward = vocabulary.join(' ');
  const backward = [...vocabulary].reverse().join(' ');
  return tokenizer.count(forward) === vocabulary.length && tokenizer.count(backward) === vocabulary.length;
}
