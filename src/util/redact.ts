// Secrets never reach a result, a records file, stdout or stderr. Two tools:
// - URLs (the target, --server-metrics sources, URLs inside messages): userinfo and secret-looking
//   query parameters are replaced before a URL is stored or printed;
// - the Scrubber: every string stored from a response (error bodies, stream snippets, tool-call
//   arguments, validity details, kept answers) loses every fragment of 8 or more characters of a
//   secret, in any letter case. Fragments, not only whole secrets, because a server (or V8's
//   JSON.parse message, or our own truncation) may cut a key anywhere: a 150-character prefix of a
//   164-character key is as good as the key.

/** Query parameters whose values are credentials (matched on the whole name, case-insensitively). */
const SECRET_PARAM = /^(?:.*[-_.])?(?:key|apikey|api[-_]?key|token|access[-_]?token|auth|authorization|secret|client[-_]?secret|sig|signature|password|passwd|pwd|pass|session|credential|credentials|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;
/** Also any name containing one of these words: `apiKey`, `my_token_v2`, `hf_auth`… */
const SECRET_PARAM_WORD = /key|token|secret|sig|auth|pass|pwd|credential|session/i;

export const REDACTED = '<redacted>';

function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name) || SECRET_PARAM_WORD.test(name);
}

/**
 * A URL without its credentials: userinfo becomes `redacted` (no password), secret-looking query
 * values `redacted`. Text that does not parse as a URL is returned as given (callers pass flags).
 */
export function redactUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    // Not a URL after all (a typo in a flag): still never echo its userinfo.
    return u.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1redacted@');
  }
  if (url.username || url.password) {
    url.username = 'redacted';
    url.password = '';
  }
  for (const k of [...new Set(url.searchParams.keys())]) {
    if (isSecretParam(k)) url.searchParams.set(k, 'redacted');
  }
  // A fragment can hold a token too (OAuth implicit flow): never keep one.
  if (url.hash) url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** Every http(s) URL inside free text (a log line, an error message) redacted. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>`]+/gi, (m) => {
    // Trailing punctuation belongs to the sentence, not the URL.
    const tail = /[),.;:!?\]]+$/.exec(m)?.[0] ?? '';
    const core = tail ? m.slice(0, -tail.length) : m;
    return redactUrl(core) + tail;
  });
}

/**
 * The command line as stored in a result: header values redacted (`--header K: V`, `-H`, the `=`
 * forms), and every URL (a bare argument or a flag's `--flag=URL` value) without its credentials.
 */
export function redactArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--header' || a === '-H') {
      out.push(a);
      const v = argv[i + 1];
      if (v !== undefined) {
        out.push(`${v.split(':')[0]}: ${REDACTED}`);
        i++;
      }
    } else if (a.startsWith('--header=') || a.startsWith('-H=')) {
      const eq = a.indexOf('=');
      out.push(`${a.slice(0, eq)}=${a.slice(eq + 1).split(':')[0]}: ${REDACTED}`);
    } else {
      out.push(redactUrlsIn(a));
    }
  }
  return out;
}

/** Header values that are never credentials: not treated as secrets (they would mangle every message). */
const PUBLIC_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'accept-encoding', 'connection']);

/**
 * Every header value the user gave (the Authorization value and the bare token after its scheme
 * included) is a secret: an engine may echo a key back in an error body. Values shorter than 4
 * characters are left alone (scrubbing "1" would mangle every message). Longest first.
 */
export function secretsOf(headers: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const [name, v] of Object.entries(headers)) {
    if (PUBLIC_HEADERS.has(name.toLowerCase())) continue;
    const value = v.trim();
    if (value.length >= 4) out.add(value);
    const parts = value.split(/\s+/);
    // "Scheme token": the token is the secret. More words: each long one is.
    if (parts.length === 2 && parts[1].length >= 4) out.add(parts[1]);
    else if (parts.length > 2) for (const p of parts) if (p.length >= FRAGMENT_CHARS) out.add(p);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** The credentials a URL carries (userinfo and secret-looking query values), as secrets to scrub. */
export function secretsOfUrl(u: string): string[] {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return [];
  }
  const out: string[] = [];
  const add = (s: string) => {
    if (s.length >= 4) out.push(s);
  };
  try {
    add(decodeURIComponent(url.password));
  } catch {
    add(url.password);
  }
  for (const [k, v] of url.searchParams) if (isSecretParam(k)) add(v);
  return out;
}

/** Fragments of this many characters or more of a secret are removed wherever they appear. */
export const FRAGMENT_CHARS = 8;

const B = 0x01000193; // FNV prime: a multiplier with good low-bit mixing for the filter below
const B_POW = (() => {
  let p = 1;
  for (let i = 0; i < FRAGMENT_CHARS - 1; i++) p = Math.imul(p, B);
  return p;
})();

/** ASCII letters folded to lower case; other code units as they are (keys are ASCII). */
function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Removes secrets from text that came from a server. Every run of characters covered by some
 * FRAGMENT_CHARS-long piece of a secret (ASCII case ignored) becomes `<redacted>`; secrets shorter
 * than that, or with spaces in them, are removed whole, case-insensitively. Linear in the text: a rolling hash of each
 * window, a 64 Ki-entry filter, then an exact comparison on a hit.
 */
export class Scrubber {
  /** Window hash → the folded windows with that hash. */
  private readonly windows = new Map<number, string[]>();
  private readonly filter = new Uint8Array(65536);
  private readonly whole: RegExp | null;
  readonly empty: boolean;

  constructor(secrets: readonly string[]) {
    const wholeOnes: string[] = [];
    for (const s of secrets) {
      // Short secrets, and values with spaces ("Bearer <token>": its token is a secret of its own),
      // are removed whole; pieces of them are not secret ("r sk-pro" would eat ordinary text).
      if (s.length < FRAGMENT_CHARS || /\s/.test(s)) {
        if (s.length > 0) wholeOnes.push(s);
        continue;
      }
      for (let i = 0; i + FRAGMENT_CHARS <= s.length; i++) {
        let folded = '';
        for (let k = 0; k < FRAGMENT_CHARS; k++) folded += String.fromCharCode(fold(s.charCodeAt(i + k)));
        const h = hashOf(folded, 0);
        const list = this.windows.get(h);
        if (list === undefined) this.windows.set(h, [folded]);
        else if (!list.includes(folded)) list.push(folded);
        this.filter[h & 0xffff] = 1;
      }
    }
    this.whole = wholeOnes.length > 0 ? new RegExp(wholeOnes.sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'gi') : null;
    this.empty = this.windows.size === 0 && this.whole === null;
  }

  scrub(text: string): string {
    if (this.empty || text.length === 0) return text;
    const out = this.whole !== null ? text.replace(this.whole, REDACTED) : text;
    return this.windows.size > 0 && out.length >= FRAGMENT_CHARS ? this.scrubFragments(out) : out;
  }

  /** Scrubs, then cuts to `maxChars` (with an ellipsis): scrubbing first, so no cut edge keeps a piece of a key. */
  clip(text: string, maxChars: number): string {
    const s = this.scrub(text);
    return s.length <= maxChars ? s : `${s.slice(0, maxChars)}…`;
  }

  private scrubFragments(text: string): string {
    const n = text.length;
    const W = FRAGMENT_CHARS;
    let h = 0;
    for (let k = 0; k < W; k++) h = (Math.imul(h, B) + fold(text.charCodeAt(k))) | 0;
    let coverStart = -1;
    let coverEnd = -1;
    let parts: string[] | null = null;
    let copied = 0;
    for (let i = 0; ; i++) {
      if (this.filter[h & 0xffff] === 1 && this.matches(text, i, h)) {
        if (i > coverEnd) {
          if (coverStart >= 0) {
            parts ??= [];
            parts.push(text.slice(copied, coverStart), REDACTED);
            copied = coverEnd;
          }
          coverStart = i;
        }
        coverEnd = i + W;
      }
      if (i + W >= n) break;
      h = (Math.imul(h - Math.imul(fold(text.charCodeAt(i)), B_POW), B) + fold(text.charCodeAt(i + W))) | 0;
    }
    if (coverStart < 0) return text;
    parts ??= [];
    parts.push(text.slice(copied, coverStart), REDACTED, text.slice(coverEnd));
    return parts.join('');
  }

  private matches(text: string, at: number, h: number): boolean {
    const list = this.windows.get(h);
    if (list === undefined) return false;
    outer: for (const w of list) {
      for (let k = 0; k < FRAGMENT_CHARS; k++) if (fold(text.charCodeAt(at + k)) !== w.charCodeAt(k)) continue outer;
      return true;
    }
    return false;
  }
}

function hashOf(s: string, from: number): number {
  let h = 0;
  for (let k = 0; k < FRAGMENT_CHARS; k++) h = (Math.imul(h, B) + s.charCodeAt(from + k)) | 0;
  return h;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A copy of a JSON-like value with every string (keys included) scrubbed. */
export function scrubDeep<T>(value: T, scrubber: Scrubber): T {
  if (scrubber.empty) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubber.scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubber.scrub(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** A scrubber that removes nothing (no secrets configured). */
export const NO_SECRETS = new Scrubber([]);
