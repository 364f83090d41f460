// Simulator, prefix-cache keys (pure): the simulator's "tokens" are words, so a prompt's cache
// blocks are runs of N words of the concatenated prompt (system + every message, or the completion
// prompt), each block's key chained with the previous one, as vLLM chains block hashes: two
// requests share block k only if they share every word up to the end of block k.
import { isRecord } from './model.js';

/** The prompt texts of a chat or completion body, in order; token-id prompts give none. */
export function promptTexts(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const out: string[] = [];
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      if (!isRecord(m)) continue;
      if (typeof m.content === 'string') out.push(m.content);
      else if (Array.isArray(m.content)) {
        for (const part of m.content) if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') out.push(part.text);
      }
      // Sent-back tool calls are prompt too (model.ts counts their arguments).
      if (Array.isArray(m.tool_calls)) {
        for (const c of m.tool_calls) if (isRecord(c) && isRecord(c.function) && typeof c.function.arguments === 'string') out.push(c.function.arguments);
      }
    }
  } else if (typeof body.prompt === 'string') out.push(body.prompt);
  else if (Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === 'string') out.push(body.prompt[0]);
  return out;
}

function isSpace(c: number): boolean {
  // The same set as countWords in model.ts, so block boundaries agree with the prompt token count.
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0x1680 || c === 0xfeff;
}

/**
 * Chained keys of every full block of `blockWords` words (a trailing partial block is not cached,
 * as in vLLM). Two 32-bit FNV-1a lanes with different offsets make a 53-bit key: collisions among
 * the few thousand blocks a test holds are out of reach. Texts are joined as if by whitespace.
 */
export function blockHashes(texts: readonly string[], blockWords: number): number[] {
  const out: number[] = [];
  let prevA = 0;
  let prevB = 0;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  let words = 0;
  let inWord = false;
  const endWord = (): void => {
    inWord = false;
    words++;
    a = Math.imul(a ^ 0x20, 0x01000193);
    b = Math.imul(b ^ 0x20, 0x01000193);
    if (words === blockWords) {
      prevA = Math.imul(prevA ^ a, 0x85ebca6b) ^ (a >>> 13);
      prevB = Math.imul(prevB ^ b, 0xc2b2ae35) ^ (b >>> 16);
      out.push((prevA >>> 0) * 0x200000 + ((prevB >>> 0) & 0x1fffff));
      words = 0;
      a = 0x811c9dc5 ^ prevA;
      b = (0x01000193 ^ 0x5bd1e995) ^ prevB;
    }
  };
  for (const text of texts) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        if (inWord) endWord();
      } else {
        inWord = true;
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ (c + 0x9e), 0x01000193);
      }
    }
    if (inWord) endWord();
  }
  return out;
}
