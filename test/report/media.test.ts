// The per-class images / prefix cache / reasoning figures in the text, HTML and CSV reports.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/text.js';
import { renderRunHtml } from '../../src/report/html.js';
import { toCsv } from '../../src/report/csv.js';
import { mediaRecords, mediaResult } from '../results/media-fixture.js';

const result = mediaResult(mediaRecords(90));

describe('reports of image, cache and reasoning classes', () => {
  it('text: one table with request bytes, images, cached vs intended sharing, reasoning, first chunk vs first answer token, answer TPOT', () => {
    const text = renderSummary(result);
    expect(text).toMatch(/images, prefix cache, reasoning \(TTFT is the first answer token; first chunk is any kind, reasoning included\)/);
    const rag = text.split('\n').find((l) => /^\s+rag\s+\d/.test(l) && l.includes('%'))!;
    expect(rag).toMatch(/40\.0%\s+80\.0%/);
    const think = text.split('\n').filter((l) => /^\s+think\s+\d/.test(l)).pop()!;
    expect(think).toMatch(/\bmixed\b/);
  });

  it('HTML: the same table, per phase', () => {
    const html = renderRunHtml('r.json', result);
    expect(html).toContain('<table class="media">');
    expect(html).toMatch(/<th>cached \(server\)<\/th><th>shared \(intended\)<\/th>/);
    expect(html).toMatch(/<td>rag<\/td><td>\d+<\/td><td>-<\/td><td>-<\/td><td>40\.0%<\/td><td>80\.0%<\/td>/);
  });

  it('CSV: request bytes, images, cached and intended fractions, reasoning tokens with their source, answer TPOT', () => {
    const rows = parse(toCsv([{ file: 'r.json', result }]), { columns: true }) as Record<string, string>[];
    const byClass = Object.fromEntries(rows.map((r) => [r.class, r]));
    const groups = Object.fromEntries(result.phases[0].groups.map((g) => [g.class, g]));
    expect(Number(byClass.vision.request_bytes_total)).toBe(groups.vision.requestBytes);
    expect(Number(byClass.vision.images)).toBe(groups.vision.images!.images);
    expect(byClass.rag).toMatchObject({ cached_fraction: '0.4', intended_shared_fraction: '0.8' });
    expect(byClass.think.reasoning_tokens_source).toBe('mixed');
    expect(Number(byClass.think.answer_tpot_p50_ms)).toBe(groups.think.reasoning!.answerTpotMs.p50Ms);
    expect(byClass.vision.reasoning_tokens).toBe('');
  });
});
