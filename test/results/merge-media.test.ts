// Request bytes, images, cached tokens and reasoning figures merge exactly across shards, like every
// other counter (and the answer-only TPOT histogram bucket by bucket).
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/results/merge.js';
import { parseResult } from '../../src/results/io.js';
import type { RunResult } from '../../src/results/format.js';
import { mediaRecords as records, mediaResult as resultOf } from './media-fixture.js';

describe('merging image, cache and reasoning figures', () => {
  it('gives what one result of all the records gives, and survives the file format', () => {
    const all = records(900);
    const whole = resultOf(all);
    const merged = mergeResults([0, 1, 2].map((s) => resultOf(all.filter((_, i) => i % 3 === s))));
    const reread = parseResult(JSON.stringify(merged), 'merged.json');
    const strip = (g: RunResult['phases'][number]['groups'][number]) => {
      const { hdr: _h, ...answerTpot } = g.reasoning?.answerTpotMs ?? { hdr: '' };
      return { requestBytes: g.requestBytes, images: g.images, cache: g.cache, reasoning: g.reasoning ? { ...g.reasoning, answerTpotMs: answerTpot } : undefined };
    };
    for (const cls of ['*', 'vision', 'think', 'rag']) {
      const a = reread.phases[0].groups.find((g) => g.class === cls)!;
      const b = whole.phases[0].groups.find((g) => g.class === cls)!;
      expect(strip(a)).toEqual(strip(b));
    }
    const rag = whole.phases[0].groups.find((g) => g.class === 'rag')!;
    expect(rag.cache).toMatchObject({ reported: 300, cachedTokens: 150 * 400, cachedFraction: 0.4, intendedSharedFraction: 0.8 });
    const think = whole.phases[0].groups.find((g) => g.class === 'think')!;
    expect(think.reasoning).toMatchObject({ requests: 300, fromChunks: 60, fromUsage: 240 });
    expect(think.reasoning!.answerTpotMs.count).toBe(300);
    expect(whole.phases[0].groups.find((g) => g.class === 'vision')!.reasoning).toBeUndefined();
  });
});
