import { describe, expect, it } from 'vitest';
import { GroupStats, PhaseStats, addCounters } from '../../src/metrics/accumulator.js';
import { decodeHistogram, encodeHistogram, mergeHistograms, newHistogram, recordMs, summarize } from '../../src/metrics/histogram.js';
import type { RequestRecord } from '../../src/client/record.js';

export function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    phase: 'steady', class: 'chat', scheduledAtMs: 0, sentAtMs: 1, queueMs: 1, ttftMs: 50, firstChunkMs: 50, tpotMs: 10, e2eMs: 200,
    promptTokens: 100, outputTokens: 16, outputTokensSource: 'usage', chunks: 16, finishReason: 'length', status: 'ok',
    errorClass: null, httpStatus: 200, validity: null, toolCalls: null, ...over,
  };
}

describe('histograms', () => {
  it('round-trip losslessly through the compressed base64 encoding', () => {
    const h = newHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i * 0.37);
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.totalCount).toBe(1000);
    expect(summarize(back)).toEqual(summarize(h));
  });

  it('merge exactly: the merge of two halves equals one histogram of everything', () => {
    const a = newHistogram();
    const b = newHistogram();
    const all = newHistogram();
    for (let i = 0; i < 5000; i++) {
      const v = (i * 7919) % 3000;
      recordMs(i % 2 ? a : b, v);
      recordMs(all, v);
    }
    expect(summarize(mergeHistograms([a, b]))).toEqual(summarize(all));
  });

  it('summarises in ms with microsecond resolution', () => {
    const h = newHistogram();
    recordMs(h, 1.234);
    expect(summarize(h).p50Ms).toBeCloseTo(1.234, 3);
  });
});

describe('GroupStats', () => {
  it('takes latencies from successful requests only and counts errors by class', () => {
    const g = new GroupStats();
    g.add(record({ ttftMs: 40 }), 16);
    g.add(record({ ttftMs: 60, queueMs: 5 }), 16);
    g.add(record({ status: 'error', errorClass: 'http_5xx', ttftMs: 9999, e2eMs: null }), 16);
    expect(g.counters).toMatchObject({ requests: 3, ok: 2, errors: 1, errorsByClass: { http_5xx: 1 }, outputTokens: 32 });
    expect(g.hist.ttftMs.totalCount).toBe(2);
    expect(g.hist.queueMs.totalCount).toBe(3); // every sent request waited (or not)
    expect(summarize(g.hist.ttftFromScheduleMs).maxMs).toBeCloseTo(65, 1); // ttft + queue
  });

  it('counts responses that ended before max_tokens for a reason other than length', () => {
    const g = new GroupStats();
    g.add(record({ outputTokens: 10, finishReason: 'stop' }), 16);
    g.add(record({ outputTokens: 10, finishReason: 'length' }), 16);
    g.add(record({ outputTokens: 16, finishReason: 'stop' }), 16);
    expect(g.counters.endedEarly).toBe(1);
  });

  it('counts validity outcomes and the output-token source', () => {
    const g = new GroupStats();
    g.add(record({ validity: 'valid' }), null);
    g.add(record({ validity: 'schema_invalid', outputTokensSource: 'chunks' }), null);
    expect(g.counters.validity).toEqual({ valid: 1, not_json: 0, schema_invalid: 1, truncated: 0, too_large: 0 });
    expect(g.counters.outputTokensFromChunks).toBe(1);
  });

  it('adds counters exactly', () => {
    const a = new GroupStats();
    const b = new GroupStats();
    a.add(record({ status: 'error', errorClass: 'timeout_idle' }), null);
    b.add(record({ status: 'error', errorClass: 'timeout_idle' }), null);
    b.add(record({ finishReason: 'stop' }), null);
    addCounters(a.counters, b.counters);
    expect(a.counters).toMatchObject({ requests: 3, errors: 2, errorsByClass: { timeout_idle: 2 }, finishReasons: { stop: 1 } });
  });
});

describe('PhaseStats', () => {
  it('records each request in its class and in the all-classes group, gaps too', () => {
    const p = new PhaseStats(['chat', 'rag']);
    p.add(record({ class: 'rag' }), null);
    p.gapSink('rag')(12.5);
    expect(p.group('rag').counters.requests).toBe(1);
    expect(p.group('chat').counters.requests).toBe(0);
    expect(p.all.counters.requests).toBe(1);
    expect(p.all.hist.interChunkMs.totalCount).toBe(1);
    expect(p.group('rag').hist.interChunkMs.totalCount).toBe(1);
  });
});
