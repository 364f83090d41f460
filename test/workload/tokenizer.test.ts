import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultTokenizer, loadTokenizer } from '../../src/workload/tokenizer.js';
import { LoadshapeError } from '../../src/util/errors.js';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/tokenizer-wordlevel/', import.meta.url));
const FIXTURE = join(FIXTURE_DIR, 'tokenizer.json');

describe('defaultTokenizer', () => {
  it('is o200k_base and round-trips text', () => {
    const t = defaultTokenizer();
    expect(t.name).toBe('o200k_base');
    expect(t.encode('hello world')).toEqual([24912, 2375]);
    expect(t.count('hello world')).toBe(2);
    expect(t.decode(t.encode('The quick brown fox.'))).toBe('The quick brown fox.');
  });

  it('counts special-token strings as the plain text a server would receive', () => {
    const t = defaultTokenizer();
    expect(t.count('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('is used when no path is given', async () => {
    expect(await loadTokenizer()).toBe(defaultTokenizer());
  });
});

describe('loadTokenizer with a Hugging Face tokenizer.json', () => {
  it('encodes without special tokens although the post-processor adds [BOS]', async () => {
    const t = await loadTokenizer(FIXTURE);
    expect(t.name).toBe(FIXTURE);
    // "the" and "and" are in the fixture's vocabulary; no [BOS] (id 1) in front.
    expect(t.encode('the and')).toEqual([7, 8]);
    expect(t.count('The  and, the?')).toBe(5);
    expect(t.decode(t.encode('the and'))).toBe('the and');
  });

  it('accepts the folder that holds tokenizer.json', async () => {
    const t = await loadTokenizer(FIXTURE_DIR);
    expect(t.encode('the and')).toEqual([7, 8]);
  });

  it('names the file and the fix when the file is missing, not JSON, or not a tokenizer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadshape-tok-'));
    const missing = join(dir, 'nope.json');
    await expect(loadTokenizer(missing)).rejects.toThrow(`${missing}: cannot read the tokenizer`);

    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"model": ');
    const err = await loadTokenizer(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadshapeError);
    expect((err as LoadshapeError).code).toBe('workload');
    expect((err as LoadshapeError).message).toMatch(new RegExp(`^${escape(broken)}: tokenizer.json is not valid JSON .*download the file again`));

    const notTokenizer = join(dir, 'tokenizer.json');
    await writeFile(notTokenizer, '{"version": "1.0"}');
    await expect(loadTokenizer(notTokenizer)).rejects.toThrow(
      `${notTokenizer}: not a usable Hugging Face tokenizer (Tokenizer must contain a "model" property)`,
    );

    await expect(loadTokenizer(dir.replace(/$/, '-absent'))).rejects.toThrow('cannot read the tokenizer');
    const emptyDir = await mkdtemp(join(tmpdir(), 'loadshape-tok-empty-'));
    await expect(loadTokenizer(emptyDir)).rejects.toThrow(`${emptyDir}: folder has no tokenizer.json`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
