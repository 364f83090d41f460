import { describe, expect, it } from 'vitest';
import { measuredMsText } from '../../src/sweep/answer.js';

describe('sweep step failure text', () => {
  it('writes a measured latency with one unit (a second or more was "1.71s ms")', () => {
    expect(measuredMsText(1710)).toBe('1.71 s');
    expect(measuredMsText(850)).toBe('850 ms');
    expect(measuredMsText(12.34)).toBe('12.3 ms');
  });
});
