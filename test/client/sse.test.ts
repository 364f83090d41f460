import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_MAX_EVENT_BYTES, SseDecoder, SseOverflowError, type SseSink } from '../../src/client/sse.js';

type Ev = [data: string, event: string | undefined];

class Collect implements SseSink {
  events: Ev[] = [];
  onEvent(data: string, event: string | undefined): void {
    this.events.push([data, event]);
  }
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Decodes `reads` (strings are UTF-8 encoded) with a fresh decoder, calling `end` at the end. */
function decode(reads: (string | Uint8Array)[], opts?: { maxEventBytes?: number }): Ev[] {
  const d = new SseDecoder(opts);
  const c = new Collect();
  for (const r of reads) d.push(typeof r === 'string' ? enc(r) : r, c);
  d.end(c);
  return c.events;
}

/** Splits bytes at the given sorted offsets. */
function splitAt(bytes: Uint8Array, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    out.push(Buffer.from(bytes.subarray(prev, o)));
    prev = o;
  }
  out.push(Buffer.from(bytes.subarray(prev)));
  return out;
}

function byteByByte(s: string | Uint8Array): Buffer[] {
  const b = typeof s === 'string' ? enc(s) : s;
  return Array.from(b, (x) => Buffer.from([x]));
}

describe('SseDecoder: fields', () => {
  it('decodes data with and without the space after the colon, removing only one space', () => {
    expect(decode(['data: a\n\ndata:b\n\ndata:  c\n\n'])).toEqual([
      ['a', undefined],
      ['b', undefined],
      [' c', undefined],
    ]);
  });

  it('joins multi-line data with "\\n" and keeps a colon inside the value', () => {
    expect(decode(['data: line one\ndata: {"a":"b:c"}\ndata:\n\n'])).toEqual([['line one\n{"a":"b:c"}\n', undefined]]);
  });

  it('reports event names, resets them after each event, and treats an empty name as the default', () => {
    expect(decode(['event: error\ndata: {"x":1}\n\ndata: next\n\nevent:\ndata: d\n\nevent:ping\ndata: e\n\n'])).toEqual([
      ['{"x":1}', 'error'],
      ['next', undefined],
      ['d', undefined],
      ['e', 'ping'],
    ]);
  });

  it('ignores comments, id, retry and unknown fields', () => {
    expect(decode([': keep-alive\n\n:\nid: 7\nretry: 1000\nfoo: bar\ndata: x\n: inside\n\n'])).toEqual([['x', undefined]]);
  });

  it('ignores blank lines without data: comment-only, event-only and id-only blocks', () => {
    expect(decode(['\n\n\n: ping\n\nevent: x\n\nid: 1\n\ndata: y\n\n'])).toEqual([['y', undefined]]);
  });

  it('dispatches "data:" alone as an empty string and treats a bare "data" line as an empty value', () => {
    expect(decode(['data:\n\ndata\n\ndata\ndata: z\n\n'])).toEqual([
      ['', undefined],
      ['', undefined],
      ['\nz', undefined],
    ]);
  });

  it('does not take "datax:" or "dat:" for data', () => {
    expect(decode(['datax: 1\ndat: 2\n\ndata: 3\n\n'])).toEqual([['3', undefined]]);
  });

  it('skips a UTF-8 BOM at the stream start, also when it is split across reads, and only there', () => {
    expect(decode(['\uFEFFdata: a\n\n'])).toEqual([['a', undefined]]);
    expect(decode([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf]), 'data: a\n\n'])).toEqual([['a', undefined]]);
    expect(decode(['data: \uFEFFa\n\n'])).toEqual([['\uFEFFa', undefined]]);
    // EF not followed by BB BF: the bytes stay part of the first line (here an unknown field)
    expect(decode([Buffer.from([0xef]), Buffer.from([0xbb, 0x41]), '\ndata: b\n\n'])).toEqual([['b', undefined]]);
  });

  it('accepts a plain Uint8Array as well as a Buffer', () => {
    const u8 = new Uint8Array(enc('xxdata: hi\n\n')).subarray(2);
    expect(decode([u8])).toEqual([['hi', undefined]]);
  });
});

describe('SseDecoder: line endings and splits', () => {
  const stream = 'event: a\ndata: 1\ndata: 2\n\n: c\n\ndata: {"k":"v"}\n\ndata: [DONE]\n\n';
  const expected: Ev[] = [
    ['1\n2', 'a'],
    ['{"k":"v"}', undefined],
    ['[DONE]', undefined],
  ];

  it('gives the same events with LF, CRLF, CR and mixed line endings', () => {
    expect(decode([stream])).toEqual(expected);
    expect(decode([stream.replace(/\n/g, '\r\n')])).toEqual(expected);
    expect(decode([stream.replace(/\n/g, '\r')])).toEqual(expected);
    let i = 0;
    const mixed = stream.replace(/\n/g, () => ['\n', '\r\n', '\r'][i++ % 3]);
    expect(decode([mixed])).toEqual(expected);
  });

  it('counts a CRLF split across two reads as one line end', () => {
    expect(decode(['data: a\r', '\n\r', '\ndata: b\r', '\n', '\r', '\n'])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    // a CR at the end of a read followed by a CR (not LF) is two line ends: an event end
    expect(decode(['data: a\r', '\rdata: b\r', '\r'])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    // CRLF split with an empty read in between
    expect(decode(['data: a\r', '', '\n\r', '\n'])).toEqual([['a', undefined]]);
  });

  it('decodes one event split byte by byte, for every line-ending style', () => {
    for (const s of [stream, stream.replace(/\n/g, '\r\n'), stream.replace(/\n/g, '\r')]) {
      expect(decode(byteByByte(s))).toEqual(expected);
    }
  });

  it('decodes many events in one read and events spanning reads', () => {
    const many = Array.from({ length: 500 }, (_, i) => `data: {"i":${i}}\n\n`).join('');
    const want = Array.from({ length: 500 }, (_, i): Ev => [`{"i":${i}}`, undefined]);
    expect(decode([many])).toEqual(want);
    const b = enc(many);
    expect(decode(splitAt(b, [7, 1000, 1001, 4095]))).toEqual(want);
  });

  it('decodes multi-byte UTF-8 (emoji, CJK, accents) split at every byte offset', () => {
    const s = 'data: {"content":"日本語 🚀 café 👩‍👩‍👧 ñ"}\r\n\r\nevent: é\ndata: 中\n\n';
    const b = enc(s);
    const want: Ev[] = [
      ['{"content":"日本語 🚀 café 👩‍👩‍👧 ñ"}', undefined],
      ['中', 'é'],
    ];
    for (let i = 0; i <= b.length; i++) {
      expect(decode(splitAt(b, [i]))).toEqual(want);
      for (let j = i; j <= b.length; j += 5) expect(decode(splitAt(b, [i, j]))).toEqual(want);
    }
    expect(decode(byteByByte(b))).toEqual(want);
  });

  it('keeps invalid UTF-8 as replacement characters instead of failing', () => {
    expect(decode([Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0xfe, 0x0a, 0x0a])])).toEqual([['\uFFFD\uFFFD', undefined]]);
  });
});

describe('SseDecoder: end of stream', () => {
  it('dispatches a last event without its blank line, and a last line without its line end', () => {
    expect(decode(['data: a\n\ndata: b\n'])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    expect(decode(['data: a\n\ndata: [DO', 'NE]'])).toEqual([
      ['a', undefined],
      ['[DONE]', undefined],
    ]);
  });

  it('dispatches nothing more at the end of a complete stream, nor for a trailing comment', () => {
    expect(decode(['data: a\n\n'])).toEqual([['a', undefined]]);
    expect(decode(['data: a\n\n: bye'])).toEqual([['a', undefined]]);
    expect(decode([])).toEqual([]);
  });

  it('can be reused for a second stream after end', () => {
    const d = new SseDecoder();
    const c = new Collect();
    d.push(enc('data: a\r'), c);
    d.end(c);
    d.push(enc('\ndata: b\n\n'), c); // the LF is not swallowed as the end of the first stream's CR
    d.end(c);
    expect(c.events).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
  });
});

describe('SseDecoder: big events and the size limit', () => {
  it('has a 16 MiB default limit', () => {
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(16 * 1024 * 1024);
  });

  it('decodes a 4 MiB event arriving in 16,384 small reads in linear time', () => {
    const payload = 'x'.repeat(4 * 1024 * 1024 - 10) + '🚀';
    const b = enc(`data: ${payload}\n\ndata: after\n\n`);
    const reads: Buffer[] = [];
    for (let i = 0; i < b.length; i += 256) reads.push(b.subarray(i, i + 256));
    const t0 = performance.now();
    const events = decode(reads);
    const ms = performance.now() - t0;
    expect(events.length).toBe(2);
    expect(events[0][0].length).toBe(payload.length);
    expect(events[0][0] === payload).toBe(true);
    expect(events[1]).toEqual(['after', undefined]);
    // re-scanning or re-joining the pending bytes per read would be ~16,384 × 2 MiB: many seconds
    expect(ms).toBeLessThan(1500);
  });

  it('accepts an event of exactly the limit and throws SseOverflowError past it', () => {
    const ok = decode([`data: ${'a'.repeat(1000)}\n\n`], { maxEventBytes: 1000 });
    expect(ok[0][0].length).toBe(1000);
    expect(() => decode([`data: ${'a'.repeat(1001)}\n\n`], { maxEventBytes: 1000 })).toThrow(SseOverflowError);
  });

  it('counts multi-line data together, and an unfinished line arriving in pieces', () => {
    expect(() => decode(['data: ' + 'a'.repeat(600) + '\n', 'data: ' + 'b'.repeat(600) + '\n\n'], { maxEventBytes: 1000 })).toThrow(
      SseOverflowError,
    );
    const d = new SseDecoder({ maxEventBytes: 1000 });
    const c = new Collect();
    d.push(enc('data: first\n\n'), c);
    let thrown: unknown;
    try {
      for (let i = 0; i < 100; i++) d.push(enc('data: 0123456789'.slice(i === 0 ? 0 : 6)), c);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SseOverflowError);
    expect((thrown as SseOverflowError).code).toBe('sse_overflow');
    expect((thrown as SseOverflowError).limitBytes).toBe(1000);
    // the event before the overflow was delivered; the decoder stays failed
    expect(c.events).toEqual([['first', undefined]]);
    expect(() => d.push(enc('\n\ndata: later\n\n'), c)).toThrow(SseOverflowError);
    expect(() => d.end(c)).toThrow(SseOverflowError);
    expect(c.events).toEqual([['first', undefined]]);
  });

  it('does not count bytes of events already dispatched', () => {
    const reads = Array.from({ length: 50 }, () => `data: ${'z'.repeat(90)}\n\n`);
    expect(decode(reads, { maxEventBytes: 100 }).length).toBe(50);
  });

  it('rejects a non-positive limit', () => {
    expect(() => new SseDecoder({ maxEventBytes: 0 })).toThrow(RangeError);
  });
});

describe('SseDecoder: properties', () => {
  const field = fc.constantFrom('data', 'data', 'data', 'event', 'id', 'retry', '', 'foo');
  const value = fc.string({ unit: fc.constantFrom('a', 'é', '日', '🚀', ' ', ':', '{', '"', 'x'), maxLength: 12 });
  const eol = fc.constantFrom('\n', '\r\n', '\r');
  const line = fc.tuple(field, fc.boolean(), value, eol).map(([f, space, v, e]) => (f === '' ? `:${v}${e}` : `${f}:${space ? ' ' : ''}${v}${e}`));
  const streamArb = fc.array(fc.tuple(fc.array(line, { maxLength: 4 }), eol), { maxLength: 8 }).map((evs) =>
    evs.map(([lines, e]) => lines.join('') + e).join(''),
  );

  it('gives the same events for any split of a stream into reads', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 12 }), (s, cuts) => {
        const b = enc(s);
        const offsets = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
        expect(decode(splitAt(b, offsets))).toEqual(decode([b]));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes except SseOverflowError past the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (reads) => {
        try {
          decode(reads, { maxEventBytes: 128 });
        } catch (e) {
          expect(e).toBeInstanceOf(SseOverflowError);
        }
        const total = reads.reduce((n, r) => n + r.length, 0);
        if (total <= 128) expect(() => decode(reads, { maxEventBytes: 128 })).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
