// Leak checks shared by the secrets tests.
import { FRAGMENT_CHARS } from '../../src/util/redact.js';

/** Every FRAGMENT_CHARS-long piece of `secret` found in `text`, ignoring case. */
export function leakedFragments(text: string, secret: string): string[] {
  const hay = text.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + FRAGMENT_CHARS <= secret.length; i++) {
    const piece = secret.slice(i, i + FRAGMENT_CHARS).toLowerCase();
    if (hay.includes(piece)) out.push(piece);
  }
  return out;
}
