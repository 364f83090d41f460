// Secrets in text and URLs: what util/redact removes, and that no cut can keep a piece of a key.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { leakedFragments } from './leaks.js';
import { redactArgv, redactUrl, redactUrlsIn, Scrubber, scrubDeep, secretsOf, secretsOfUrl } from '../../src/util/redact.js';
import { serverMessage } from '../../src/client/openai.js';
import { buildServerMetrics } from '../../src/servermetrics/summary.js';
import { redactArgv as redactArgvFromRun, redactUrl as redactUrlFromRun } from '../../src/commands/run.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 164-character project key as OpenAI issues them: public prefix, 156 secret characters. */
function projectKey(seed: number): { key: string; secret: string } {
  let x = seed >>> 0 || 1;
  let secret = '';
  for (let i = 0; i < 156; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    secret += ALNUM[(x >>> 0) % ALNUM.length];
  }
  return { key: `sk-proj-${secret}`, secret };
}

describe('Scrubber', () => {
  const { key, secret } = projectKey(7);
  const scrubber = new Scrubber(secretsOf({ authorization: `Bearer ${key}` }));

  it('scrubs a key echoed at offset 150 of an error body before cutting it at 300 characters (no prefix survives the cut)', () => {
    const body = JSON.stringify({ error: { message: `${'x'.repeat(150)}${key} is not a valid key` } });
    const msg = serverMessage(body, scrubber);
    expect(msg).toContain('<redacted>');
    expect(leakedFragments(msg, secret)).toEqual([]);
    // Without the scrubber, the cut at 300 keeps ~150 characters of the key: the defect.
    expect(leakedFragments(serverMessage(body), secret).length).toBeGreaterThan(100);
  });

  it('matches a lower-cased or upper-cased echo', () => {
    for (const echo of [key.toLowerCase(), key.toUpperCase()]) {
      const out = scrubber.scrub(`invalid key ${echo}.`);
      expect(out).toBe('invalid key <redacted>.');
    }
  });

  it('removes any piece of 8 or more characters of a key, such as one a server or a parser already cut', () => {
    expect(scrubber.scrub(`…key ${secret.slice(40, 48)}`)).toBe('…key <redacted>');
    expect(scrubber.scrub(`${secret.slice(100)} tail`)).toBe('<redacted> tail');
    // 7 characters are not a usable piece: left alone (scrubbing them would mangle ordinary text).
    expect(scrubber.scrub(`x ${secret.slice(3, 10)} y`)).toBe(`x ${secret.slice(3, 10)} y`);
  });

  it('leaves text without secrets unchanged (same string)', () => {
    const text = 'the model is overloaded, retry later';
    expect(scrubber.scrub(text)).toBe(text);
    expect(new Scrubber([]).scrub(text)).toBe(text);
  });

  it('removes a short secret (4–7 characters) whole, in any case', () => {
    expect(new Scrubber(['Ab12xy']).scrub('token AB12XY rejected')).toBe('token <redacted> rejected');
  });

  it('scrubs every string of a nested value, keys included', () => {
    const out = scrubDeep({ [secret.slice(0, 20)]: ['a', { v: key.toLowerCase() }], n: 3 }, scrubber);
    expect(JSON.stringify(out)).not.toContain(secret.slice(0, 8).toLowerCase());
    expect(out).toMatchObject({ n: 3 });
  });

  it('treats content-type, accept and user-agent header values as public', () => {
    expect(secretsOf({ 'Content-Type': 'application/json', 'User-Agent': 'loadshape-ci', 'X-Api-Key': 'tenant-90210' })).toEqual(['tenant-90210']);
  });

  it('property: for random keys, offsets, cases and cut points, no piece of 8+ characters of the secret part survives scrub-then-clip', () => {
    const secretPart = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 16, maxLength: 160 });
    const filler = fc.string({ unit: fc.constantFrom(...'abcdefghij .,:{}"-_/'), maxLength: 400 });
    fc.assert(
      fc.property(
        fc.constantFrom('sk-proj-', 'sk-', 'hf_', ''),
        secretPart,
        filler,
        filler,
        fc.constantFrom('same', 'lower', 'upper', 'mixed'),
        fc.nat({ max: 700 }),
        fc.integer({ min: 0, max: 40 }),
        (prefix, part, before, after, casing, cut, pieceStart) => {
          const key = prefix + part;
          const s = new Scrubber(secretsOf({ authorization: `Bearer ${key}` }));
          const cased = casing === 'lower' ? key.toLowerCase() : casing === 'upper' ? key.toUpperCase() : casing === 'mixed' ? [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('') : key;
          // The whole key, and a piece of it (what an earlier cut may have left), both echoed.
          const text = `${before}${cased}${after}${part.slice(pieceStart % part.length)}`;
          for (const out of [s.scrub(text), s.clip(text, cut), s.clip(text.slice(0, cut), 200)]) {
            expect(leakedFragments(out, part)).toEqual([]);
          }
        },
      ),
      { numRuns: 400, seed: 0x5ec7e7 },
    );
  });
});

describe('URLs', () => {
  it('drops userinfo and secret-looking query values, keeps the rest', () => {
    expect(redactUrl('http://user:PW-123456@host:8000/v1')).toBe('http://redacted@host:8000/v1');
    const u = redactUrl('http://h/metrics?token=TOK1&api_key=K2&access_token=A3&sig=S4&X-Amz-Signature=S5&password=P6&apiKey=K7&page=2');
    expect(u).not.toMatch(/TOK1|K2|A3|S4|S5|P6|K7/);
    expect(u).toContain('page=2');
  });

  it('redacts the --target=URL form, a bare URL and --server-metrics=URL in the stored command line', () => {
    const argv = redactArgv(['run', '--target=http://user:PW-secret@h/v1', 'http://u:PW2-secret@h/v1', '--server-metrics=http://u:PW3-secret@h/metrics?token=TOK-secret', '-H', 'X-Key: v4-secret', '--header=X-Other: v5-secret']);
    expect(argv.join(' ')).not.toMatch(/secret/);
    expect(argv).toContain('--target=http://redacted@h/v1');
    expect(argv).toContain('X-Key: <redacted>');
    // commands/run keeps exporting the same functions for its callers
    expect(redactArgvFromRun).toBe(redactArgv);
    expect(redactUrlFromRun).toBe(redactUrl);
  });

  it('redacts URLs inside free text and unparsable URLs with userinfo', () => {
    expect(redactUrlsIn('GET http://u:pw-1234@h/m?token=abc failed.')).toBe('GET http://redacted@h/m?token=redacted failed.');
    expect(redactUrl('http://u:pw-1234@h:bad')).toBe('http://redacted@h:bad');
  });

  it('gives the credentials of a URL as secrets to scrub', () => {
    expect(secretsOfUrl('http://u:pass-1234@h/m?token=tok-5678&page=2').sort()).toEqual(['pass-1234', 'tok-5678']);
  });

  it('stores server-metrics sources without credentials', () => {
    const sm = buildServerMetrics([], [{ url: 'http://u:PW-1234@h/metrics?token=TOK-5678', scrapes: 1, failures: 1, lastError: 'fetch http://u:PW-1234@h/metrics?token=TOK-5678: refused' }], [], 1000);
    expect(JSON.stringify(sm.sources)).not.toMatch(/PW-1234|TOK-5678/);
    expect(sm.sources[0].url).toBe('http://redacted@h/metrics?token=redacted');
  });
});
