// Client, the fast path of stream.ts: reads what a record needs from one streamed chunk without
// building the chunk object. JSON.parse of every chunk was the largest single cost of a run (a
// quarter of its CPU) and most of its garbage, although a record uses a handful of fields:
// choice 0's content / text / reasoning / tool-call pieces and finish_reason, usage, and whether
// the chunk is an error.
//
// `scan` walks the whole string once, validating it as strictly as JSON.parse does (strings, escapes,
// numbers, literals, nesting, trailing text), and keeps only positions: a string value is sliced or
// decoded when, and only if, it is used. Duplicate keys take the last value, as JSON.parse does.
// It answers false, and the caller falls back to JSON.parse, for anything it does not take on:
// invalid JSON (the full parse then quotes it), an `error` that is not null, `object: "error"`,
// choice 0 not first (n > 1), a first choice that is not an object, `choices` or `usage` of an odd
// type, escaped keys, nesting deeper than MAX_DEPTH. Tool-call arrays are validated here and parsed
// with JSON.parse on their own slice (they are rare, and their elements are used whole).
//
// Scanning char by char in JavaScript costs about what JSON.parse does; what makes the fast path
// cheap is that the chunks of one stream share one shape. A scan can also learn a ChunkTemplate:
// the chunk's text cut into fixed literal pieces around "holes", the scalar values that may differ
// from chunk to chunk (the output strings, the usage counts, and any string or number at a key a
// record ignores: ids, timestamps, padding). A later chunk matches when every literal piece is there
// (native string comparison) and every hole holds a valid value of the same kind (string or number):
// it then has the same structure and the same fields as the learned one, but for the holes' values.

/** Deeper values are left to JSON.parse (nothing a chunk needs is nested that deep). */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

// Which object `members` is reading.
const TOP = 0;
const USAGE = 1;
const CHOICE = 2;
const DELTA = 3;
const SKIP = 4;

// Kinds of template holes: a string or number the record ignores, or one whose value is read.
const H_SKIP_STRING = 0;
const H_SKIP_NUMBER = 1;
const H_CONTENT = 2;
const H_REASONING_CONTENT = 3;
const H_REASONING = 4;
const H_TEXT = 5;
const H_PROMPT = 6;
const H_COMPLETION = 7;
/** A chunk with more holes than this is not learned (matching it would cost more than it saves). */
const MAX_HOLES = 24;

/** A usage count that is present but not a JSON number (a string, an object, …): invalid, as usageCount judges it. */
export const NOT_A_NUMBER = Symbol('not a number');

/** Where one string value lies in the scanned text; `start` -1: absent (or not a string). */
class StringRef {
  start = -1;
  end = -1;
  escaped = false;
  reset(): void {
    this.start = -1;
  }
}

export class ChunkScan {
  /** The chunk had `usage` as an object. */
  usage = false;
  /** usage.prompt_tokens / completion_tokens: a number, null, undefined (absent) or NOT_A_NUMBER. */
  promptTokens: number | null | undefined | typeof NOT_A_NUMBER = undefined;
  completionTokens: number | null | undefined | typeof NOT_A_NUMBER = undefined;
  /** choices[0] exists and is choice 0 (index absent or 0). */
  choice = false;
  /** choice 0's `delta` is an object (else its `text` is what counts). */
  delta = false;
  readonly finishReason = new StringRef();
  readonly content = new StringRef();
  readonly reasoningContent = new StringRef();
  readonly reasoning = new StringRef();
  readonly text = new StringRef();
  /** The `tool_calls` array's text, [toolsStart, toolsEnd); toolsStart -1: none or not an array. */
  toolsStart = -1;
  toolsEnd = -1;
  /** Record the ignored scalars' places (for learn); off on a plain scan. */
  learning = false;

  private s = '';
  /** Ignored scalars seen by a learning scan: start, end, kind triples, in text order. */
  private holes: number[] = [];
  /** Where the usage counts' number text lies when they are numbers (start -1 otherwise). */
  private promptStart = -1;
  private promptEnd = -1;
  private completionStart = -1;
  private completionEnd = -1;
  private pos = 0;
  private objectIsError = false;
  private firstChoiceIndexZero = true;
  /** finish_reason of the template a chunk matched (NO_MATCH after a scan). */
  private matchedFinishReason: string | undefined | typeof NO_MATCH = NO_MATCH;

  /** Reads `data`; false: not taken on here, parse it in full. */
  scan(data: string): boolean {
    this.s = data;
    this.pos = 0;
    this.matchedFinishReason = NO_MATCH;
    this.usage = false;
    this.promptTokens = undefined;
    this.completionTokens = undefined;
    this.promptStart = -1;
    this.completionStart = -1;
    this.holes.length = 0;
    this.resetChoice();
    this.objectIsError = false;
    this.ws();
    if (!this.topObject()) return false;
    this.ws();
    return this.pos === data.length && !this.objectIsError;
  }

  /**
   * A template of the chunk just scanned (with `learning` on), or null when it should not be one
   * (tool calls, or too many holes). Its literal pieces are slices of that chunk's text.
   */
  learn(): ChunkTemplate | null {
    if (this.toolsStart >= 0) return null;
    const h = this.holes;
    const field = (r: StringRef, kind: number) => {
      if (r.start >= 0) h.push(r.start, r.end, kind);
    };
    if (this.delta) {
      field(this.content, H_CONTENT);
      field(this.reasoningContent, H_REASONING_CONTENT);
      field(this.reasoning, H_REASONING);
    } else {
      field(this.text, H_TEXT);
    }
    if (this.promptStart >= 0) h.push(this.promptStart, this.promptEnd, H_PROMPT);
    if (this.completionStart >= 0) h.push(this.completionStart, this.completionEnd, H_COMPLETION);
    const n = h.length / 3;
    if (n > MAX_HOLES) return null;
    const order: number[] = [];
    for (let i = 0; i < n; i++) order.push(i);
    order.sort((a, b) => h[a * 3] - h[b * 3]);
    const literals: string[] = [];
    const kinds: number[] = [];
    const learned: string[] = [];
    let from = 0;
    for (const i of order) {
      literals.push(this.s.slice(from, h[i * 3]));
      kinds.push(h[i * 3 + 2]);
      learned.push(this.s.slice(h[i * 3], h[i * 3 + 1]));
      from = h[i * 3 + 1];
    }
    literals.push(this.s.slice(from));
    return new ChunkTemplate(
      literals,
      kinds,
      learned,
      this.usage,
      this.promptStart >= 0 ? undefined : this.promptTokens,
      this.completionStart >= 0 ? undefined : this.completionTokens,
      this.choice,
      this.delta,
      this.finishReason.start < 0 ? undefined : this.value(this.finishReason),
    );
  }

  /** choice 0's finish_reason when it is a string. */
  finishReasonText(): string | undefined {
    if (this.matchedFinishReason !== NO_MATCH) return this.matchedFinishReason;
    return this.finishReason.start < 0 ? undefined : this.value(this.finishReason);
  }

  /**
   * Fills this scan's fields from `t` when `data` has its shape (see ChunkTemplate); false: no match,
   * and the fields are then meaningless.
   */
  match(t: ChunkTemplate, data: string): boolean {
    // First with the ignored values that have stayed the learned ones (a stream's id, model,
    // created) compared as part of the fixed pieces: two or three native comparisons per chunk.
    if (this.matchPieces(t, data, t.merged, t.mergedKinds, null)) {
      this.lastMatch = 'merged';
      return true;
    }
    // Else hole by hole; an ignored value that differed is read as a hole from then on (timestamps, padding).
    this.lastMatch = this.matchPieces(t, data, t.literals, t.kinds, t) ? 'pieces' : null;
    return this.lastMatch !== null;
  }

  /** How the last `match` succeeded (tests check that the merged pieces are used). */
  lastMatch: 'merged' | 'pieces' | null = null;

  /**
   * Matches `data` against literal pieces and holes. With `learnFrom`, also marks its ignored holes
   * whose value differs from the learned one as varying (and rebuilds its merged pieces).
   */
  private matchPieces(t: ChunkTemplate, data: string, lits: string[], kinds: number[], learnFrom: ChunkTemplate | null): boolean {
    this.s = data;
    this.resetRead();
    this.promptTokens = t.promptTokens;
    this.completionTokens = t.completionTokens;
    let pos = 0;
    let changed = false;
    const last = kinds.length;
    for (let i = 0; i < last; i++) {
      const lit = lits[i];
      if (data.lastIndexOf(lit, pos) !== pos) return false;
      pos += lit.length;
      const start = pos;
      pos = this.hole(kinds[i], start);
      if (pos < 0) return false;
      if (learnFrom !== null && kinds[i] <= H_SKIP_NUMBER && !learnFrom.varying[i]) {
        const same = learnFrom.learned[i];
        if (pos - start !== same.length || data.lastIndexOf(same, start) !== start) {
          learnFrom.varying[i] = true;
          changed = true;
        }
      }
    }
    const tail = lits[last];
    if (data.length !== pos + tail.length || data.lastIndexOf(tail, pos) !== pos) return false;
    if (changed) learnFrom!.merge();
    this.usage = t.usage;
    this.choice = t.choice;
    this.delta = t.delta;
    this.matchedFinishReason = t.finishReason;
    return true;
  }

  /** Reads a hole of `kind` starting at `start` (just after its literal piece): where it ends, or -1 when it is not one. */
  private hole(kind: number, start: number): number {
    const data = this.s;
    try {
      if (kind === H_SKIP_NUMBER || kind === H_PROMPT || kind === H_COMPLETION) {
        const c = data.charCodeAt(start);
        if (!(c === 0x2d || (c >= 0x30 && c <= 0x39))) return -1;
        this.pos = start;
        this.number();
        const end = this.pos;
        if (kind === H_PROMPT) this.promptTokens = Number(data.slice(start, end));
        else if (kind === H_COMPLETION) this.completionTokens = Number(data.slice(start, end));
        return end;
      }
      // The literal before a string hole ends with its opening quote; the string ends at the next.
      this.pos = start - 1;
      const escaped = this.string();
      const end = this.pos - 1;
      if (kind !== H_SKIP_STRING) {
        const r = kind === H_CONTENT ? this.content : kind === H_REASONING_CONTENT ? this.reasoningContent : kind === H_REASONING ? this.reasoning : this.text;
        r.start = start;
        r.end = end;
        r.escaped = escaped;
      }
      return end;
    } catch (e) {
      if (e === FALLBACK) return -1;
      throw e;
    }
  }

  private resetRead(): void {
    this.content.reset();
    this.reasoningContent.reset();
    this.reasoning.reset();
    this.text.reset();
    this.finishReason.reset();
    this.toolsStart = -1;
  }

  /** A string value's text (JSON escapes decoded); '' when absent. */
  value(r: StringRef): string {
    if (r.start < 0) return '';
    return r.escaped ? decodeEscaped(this.s, r.start, r.end) : this.s.slice(r.start, r.end);
  }

  /** The string is present and not empty (without making it: any escape decodes to a character). */
  nonEmpty(r: StringRef): boolean {
    return r.start >= 0 && r.end > r.start;
  }

  /** The tool_calls array, parsed on its own (it is valid JSON: scan checked it). */
  toolCalls(): unknown[] {
    return JSON.parse(this.s.slice(this.toolsStart, this.toolsEnd)) as unknown[];
  }

  /** Drops the reference to the last chunk's text (the caller is done with the strings). */
  release(): void {
    this.s = '';
  }

  private resetChoice(): void {
    this.choice = false;
    this.firstChoiceIndexZero = true;
    this.finishReason.reset();
    this.text.reset();
    this.resetDelta();
  }

  private resetDelta(): void {
    this.delta = false;
    this.content.reset();
    this.reasoningContent.reset();
    this.reasoning.reset();
    this.toolsStart = -1;
  }

  private ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /**
   * The next key of an object (the position is on its opening quote): true when it matches `name`
   * exactly. Keys with escapes are refused (throws FALLBACK) so that no escaped spelling of a key
   * that matters is missed.
   */
  private key(): number {
    const s = this.s;
    const start = this.pos + 1;
    let p = start;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20 || Number.isNaN(c)) throw FALLBACK;
      p++;
    }
    this.pos = p + 1;
    this.ws();
    if (s.charCodeAt(this.pos) !== COLON) throw FALLBACK;
    this.pos++;
    this.ws();
    return start;
  }

  private is(keyStart: number, name: string): boolean {
    return this.s.charCodeAt(keyStart + name.length) === QUOTE && this.s.startsWith(name, keyStart);
  }

  /** Reads an object's members (the position is on its `{`); `kind` says which object it is. */
  private members(kind: number, depth: number): void {
    const s = this.s;
    this.pos++; // {
    this.ws();
    if (s.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      if (s.charCodeAt(this.pos) !== QUOTE) throw FALLBACK;
      const k = this.key();
      switch (kind) {
        case TOP:
          this.topMember(k);
          break;
        case USAGE:
          this.usageMember(k);
          break;
        case CHOICE:
          this.choiceMember(k);
          break;
        case DELTA:
          this.deltaMember(k);
          break;
        default:
          this.skip(depth + 1);
      }
      this.ws();
      const c = s.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        this.ws();
      } else if (c === CLOSE_BRACE) {
        this.pos++;
        return;
      } else {
        throw FALLBACK;
      }
    }
  }

  private topObject(): boolean {
    if (this.s.charCodeAt(this.pos) !== OPEN_BRACE) return false;
    try {
      this.members(TOP, 0);
      return true;
    } catch (e) {
      if (e === FALLBACK) return false;
      throw e;
    }
  }

  private topMember(k: number): void {
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (this.is(k, 'choices')) {
      this.resetChoice();
      if (c !== OPEN_BRACKET) throw FALLBACK;
      this.choices();
    } else if (this.is(k, 'usage')) {
      this.usage = false;
      this.promptTokens = undefined;
      this.completionTokens = undefined;
      if (c === OPEN_BRACE) {
        this.usage = true;
        this.members(USAGE, 1);
      } else if (!this.literal('null')) {
        throw FALLBACK;
      }
    } else if (this.is(k, 'error')) {
      if (!this.literal('null')) throw FALLBACK;
    } else if (this.is(k, 'object')) {
      if (c === QUOTE) {
        const start = this.pos + 1;
        if (this.string()) throw FALLBACK; // escaped: could spell "error"
        this.objectIsError = this.pos - 1 - start === 5 && s.startsWith('error', start);
      } else {
        this.objectIsError = false;
        this.skip(0);
      }
    } else {
      this.skip(0);
    }
  }

  private usageMember(k: number): void {
    if (this.is(k, 'prompt_tokens')) {
      this.promptTokens = this.count();
      this.promptStart = this.countStart;
      this.promptEnd = this.pos;
    } else if (this.is(k, 'completion_tokens')) {
      this.completionTokens = this.count();
      this.completionStart = this.countStart;
      this.completionEnd = this.pos;
    } else if ((this.is(k, 'prompt_tokens_details') || this.is(k, 'completion_tokens_details')) && !this.literal('null')) {
      // Cached and reasoning token counts: a usage chunk comes once per request, so JSON.parse reads it.
      throw FALLBACK;
    } else {
      this.skip(1);
    }
  }

  /** Where the last count() read a number (-1: it was not one). */
  private countStart = -1;

  private count(): number | null | typeof NOT_A_NUMBER {
    const c = this.s.charCodeAt(this.pos);
    this.countStart = -1;
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = this.pos;
      this.number();
      this.countStart = start;
      return Number(this.s.slice(start, this.pos));
    }
    if (this.literal('null')) return null;
    this.skip(1);
    return NOT_A_NUMBER;
  }

  private choices(): void {
    const s = this.s;
    this.pos++; // [
    this.ws();
    if (s.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    // choices[0]: must be an object whose index is absent or 0 (else the full parse finds choice 0).
    if (s.charCodeAt(this.pos) !== OPEN_BRACE) throw FALLBACK;
    this.members(CHOICE, 2);
    if (!this.firstChoiceIndexZero) throw FALLBACK;
    this.choice = true;
    for (;;) {
      this.ws();
      const c = s.charCodeAt(this.pos);
      if (c === CLOSE_BRACKET) {
        this.pos++;
        return;
      }
      if (c !== COMMA) throw FALLBACK;
      this.pos++;
      this.ws();
      this.skip(2);
    }
  }

  private choiceMember(k: number): void {
    const c = this.s.charCodeAt(this.pos);
    if (this.is(k, 'delta')) {
      this.resetDelta();
      if (c === OPEN_BRACE) {
        this.delta = true;
        this.members(DELTA, 3);
      } else if (c === OPEN_BRACKET) {
        throw FALLBACK; // an array is an object to the full path's check
      } else {
        this.skip(2);
      }
    } else if (this.is(k, 'finish_reason')) {
      this.stringValue(this.finishReason, 2);
    } else if (this.is(k, 'text')) {
      this.stringValue(this.text, 2);
    } else if (this.is(k, 'index')) {
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const start = this.pos;
        this.number();
        this.firstChoiceIndexZero = Number(this.s.slice(start, this.pos)) === 0;
      } else {
        this.firstChoiceIndexZero = false;
        this.skip(2);
      }
    } else {
      this.skip(2);
    }
  }

  private deltaMember(k: number): void {
    if (this.is(k, 'content')) this.stringValue(this.content, 3);
    else if (this.is(k, 'reasoning_content')) this.stringValue(this.reasoningContent, 3);
    else if (this.is(k, 'reasoning')) this.stringValue(this.reasoning, 3);
    else if (this.is(k, 'tool_calls')) {
      const start = this.pos;
      this.skip(3);
      // Only a non-empty array has tool deltas (TensorRT-LLM sends `[]` on every chunk: nothing to parse).
      this.toolsStart = this.s.charCodeAt(start) === OPEN_BRACKET && !isEmptyArray(this.s, start) ? start : -1;
      this.toolsEnd = this.pos;
    } else {
      this.skip(3);
    }
  }

  /** A value that counts only when it is a string (anything else: as if absent). */
  private stringValue(r: StringRef, depth: number): void {
    if (this.s.charCodeAt(this.pos) === QUOTE) {
      r.start = this.pos + 1;
      r.escaped = this.string();
      r.end = this.pos - 1;
    } else {
      r.reset();
      this.skip(depth);
    }
  }

  /** A string at the position (on its opening quote), validated; true when it has escapes. */
  private string(): boolean {
    const s = this.s;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = s.charCodeAt(p + 1);
        if (e === 0x75) {
          // \uXXXX
          if (!(isHex(s.charCodeAt(p + 2)) && isHex(s.charCodeAt(p + 3)) && isHex(s.charCodeAt(p + 4)) && isHex(s.charCodeAt(p + 5)))) throw FALLBACK;
          p += 6;
          continue;
        }
        if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          p += 2;
          continue;
        }
        throw FALLBACK;
      }
      // Control characters are invalid inside a JSON string; NaN: the text ended.
      if (c < 0x20 || Number.isNaN(c)) throw FALLBACK;
      p++;
    }
    this.pos = p + 1;
    return escaped;
  }

  /** A JSON number at the position, validated against the grammar. */
  private number(): void {
    const s = this.s;
    let p = this.pos;
    if (s.charCodeAt(p) === 0x2d) p++;
    let c = s.charCodeAt(p);
    if (c === 0x30) {
      p++;
    } else if (c >= 0x31 && c <= 0x39) {
      do p++;
      while (isDigit(s.charCodeAt(p)));
    } else {
      throw FALLBACK;
    }
    c = s.charCodeAt(p);
    if (c === 0x2e) {
      p++;
      if (!isDigit(s.charCodeAt(p))) throw FALLBACK;
      do p++;
      while (isDigit(s.charCodeAt(p)));
      c = s.charCodeAt(p);
    }
    if (c === 0x65 || c === 0x45) {
      p++;
      c = s.charCodeAt(p);
      if (c === 0x2b || c === 0x2d) p++;
      if (!isDigit(s.charCodeAt(p))) throw FALLBACK;
      do p++;
      while (isDigit(s.charCodeAt(p)));
    }
    this.pos = p;
  }

  private literal(word: 'null' | 'true' | 'false'): boolean {
    if (!this.s.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  /** Skips any JSON value at the position, validating it. */
  private skip(depth: number): void {
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (c === QUOTE) {
      const start = this.pos + 1;
      this.string();
      if (this.learning) this.holes.push(start, this.pos - 1, H_SKIP_STRING);
    } else if (c === OPEN_BRACE) {
      if (depth >= MAX_DEPTH) throw FALLBACK;
      this.members(SKIP, depth);
    } else if (c === OPEN_BRACKET) {
      if (depth >= MAX_DEPTH) throw FALLBACK;
      this.pos++;
      this.ws();
      if (s.charCodeAt(this.pos) === CLOSE_BRACKET) {
        this.pos++;
        return;
      }
      for (;;) {
        this.skip(depth + 1);
        this.ws();
        const d = s.charCodeAt(this.pos);
        if (d === CLOSE_BRACKET) {
          this.pos++;
          return;
        }
        if (d !== COMMA) throw FALLBACK;
        this.pos++;
        this.ws();
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = this.pos;
      this.number();
      if (this.learning) this.holes.push(start, this.pos, H_SKIP_NUMBER);
    } else if (!(this.literal('null') || this.literal('true') || this.literal('false'))) {
      throw FALLBACK;
    }
  }
}

const NO_MATCH = Symbol('no template');

/**
 * The shape of one chunk: its text as literal pieces around holes. A text that is
 * literals[0] hole[0] literals[1] … hole[n-1] literals[n], each hole a valid JSON string (or number)
 * where the learned chunk had one, parses to the same structure with the same keys and the same
 * values outside the holes, so everything but the holes' values is known without reading it.
 */
export class ChunkTemplate {
  constructor(
    readonly literals: string[],
    readonly kinds: number[],
    /** Each hole's text in the learned chunk. */
    readonly learned: string[],
    readonly usage: boolean,
    /** The usage counts when they are not holes (null, absent, or not a number). */
    readonly promptTokens: number | null | undefined | typeof NOT_A_NUMBER,
    readonly completionTokens: number | null | undefined | typeof NOT_A_NUMBER,
    readonly choice: boolean,
    readonly delta: boolean,
    readonly finishReason: string | undefined,
  ) {
    this.varying = kinds.map(() => false);
    this.merge();
  }

  /** Ignored holes whose value has differed from the learned one in some chunk: read as holes. */
  readonly varying: boolean[];
  /** Literal pieces with the ignored holes that have not varied filled in as learned, and the kinds of the holes left. */
  merged: string[] = [];
  mergedKinds: number[] = [];

  /** Builds `merged` and `mergedKinds` from `varying`. */
  merge(): void {
    const merged: string[] = [];
    const mergedKinds: number[] = [];
    let piece = this.literals[0];
    for (let i = 0; i < this.kinds.length; i++) {
      if (this.kinds[i] <= H_SKIP_NUMBER && !this.varying[i]) {
        piece += this.learned[i] + this.literals[i + 1];
      } else {
        merged.push(piece);
        mergedKinds.push(this.kinds[i]);
        piece = this.literals[i + 1];
      }
    }
    merged.push(piece);
    this.merged = merged;
    this.mergedKinds = mergedKinds;
  }
}

/** Thrown inside a scan to give up on it (caught by scan, never seen outside). */
const FALLBACK = new Error('chunk scan: not taken on');

/** s[start] is `[`: is the array (already validated) empty? */
function isEmptyArray(s: string, start: number): boolean {
  let p = start + 1;
  let c = s.charCodeAt(p);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++p);
  return c === CLOSE_BRACKET;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Decodes the JSON escapes of s[start, end) (already validated), as JSON.parse would. */
function decodeEscaped(s: string, start: number, end: number): string {
  let out = '';
  let from = start;
  let p = s.indexOf('\\', start);
  while (p !== -1 && p < end) {
    out += s.slice(from, p);
    const e = s.charCodeAt(p + 1);
    if (e === 0x75) {
      out += String.fromCharCode(parseInt(s.slice(p + 2, p + 6), 16));
      from = p + 6;
    } else {
      out += e === 0x6e ? '\n' : e === 0x74 ? '\t' : e === 0x72 ? '\r' : e === 0x62 ? '\b' : e === 0x66 ? '\f' : String.fromCharCode(e);
      from = p + 2;
    }
    p = s.indexOf('\\', from);
  }
  return out + s.slice(from, end);
}
