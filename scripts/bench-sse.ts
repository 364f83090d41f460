// Benchmark of the client hot path: SSE decoding (src/client/sse.ts) + chunk interpretation
// (src/client/stream.ts), per streamed token, on one core, with no network in the way.
//
//   npx tsx scripts/bench-sse.ts            # ≥ 1,000,000 tokens per scenario
//   npx tsx scripts/bench-sse.ts --tokens 4000000
//
// The input is a recorded-shape vLLM chat stream (role chunk, ~4-character content tokens with
// some multi-byte UTF-8, a finish_reason, a usage-only chunk, [DONE]) replayed as many requests.
// Each scenario cuts the stream into network reads differently. Printed: ns of wall time per token
// (the loop is synchronous and single-threaded, so this is CPU time) and tokens per second, best
// and median of several timed rounds after a warm-up. Two reference rows give the floor: JSON.parse
// of the pre-decoded payloads alone, and the decoder alone with an empty sink.

import { SseDecoder, type SseSink } from '../src/client/sse.js';
import { StreamReader, StreamState } from '../src/client/stream.js';

const args = process.argv.slice(2);
const tokensArg = args.indexOf('--tokens');
const TARGET_TOKENS = tokensArg >= 0 ? Number(args[tokensArg + 1]) : 1_000_000;
const TOKENS_PER_REQUEST = 4096;
const ROUNDS = 3;

// ---- a recorded-shape stream ---------------------------------------------------------------
const WORDS = [
  ' the', ' of', ' and', ' to', ' in', ' is', ' that', ' for', ' it', ' as', ' with', ' was',
  ' on', ' be', ' by', ' this', ' are', ' model', ' token', ' lat', 'ency', ' request', ',', '.',
  ' we', ' can', ' infer', 'ence', ' thr', 'ough', 'put', ' serv', 'ing', ' GPU', ' batch', '\n',
  ' "', 'quot', 'es', '"', ' café', ' — ', ' 日本', '語', ' 🚀', ' naïve',
];

function tokenAt(i: number): string {
  // deterministic, ~4 characters on average, ~6% multi-byte
  const x = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  return WORDS[x % WORDS.length];
}

const HEAD =
  '{"id":"chatcmpl-b5f3e1c2a9d84f6e8a7b3c2d1e0f9a8b","object":"chat.completion.chunk","created":1731000000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":';

function chunkEvent(delta: object, finishReason: string | null): string {
  return `data: ${HEAD}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]}\n\n`;
}

function recordedStream(tokens: number): { events: string[]; payloads: string[] } {
  const events: string[] = [chunkEvent({ role: 'assistant', content: '' }, null)];
  for (let i = 0; i < tokens; i++) events.push(chunkEvent({ content: tokenAt(i) }, i === tokens - 1 ? 'length' : null));
  events.push(
    `data: {"id":"chatcmpl-b5f3e1c2a9d84f6e8a7b3c2d1e0f9a8b","object":"chat.completion.chunk","created":1731000000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[],"usage":{"prompt_tokens":1024,"total_tokens":${1024 + tokens},"completion_tokens":${tokens}}}\n\n`,
  );
  events.push('data: [DONE]\n\n');
  const payloads = events.map((e) => e.slice(6, -2));
  return { events, payloads };
}

const { events, payloads } = recordedStream(TOKENS_PER_REQUEST);
const eventBytes = events.map((e) => Buffer.from(e, 'utf8'));
const streamBytes = Buffer.concat(eventBytes);

function readsOfEvents(perRead: number): Buffer[] {
  const reads: Buffer[] = [];
  for (let i = 0; i < eventBytes.length; i += perRead) reads.push(Buffer.concat(eventBytes.slice(i, i + perRead)));
  return reads;
}

function readsOfBytes(size: number): Buffer[] {
  const reads: Buffer[] = [];
  // fresh buffers, as a socket hands out: events split anywhere, multi-byte characters included
  for (let i = 0; i < streamBytes.length; i += size) reads.push(Buffer.from(streamBytes.subarray(i, i + size)));
  return reads;
}

// ---- timing --------------------------------------------------------------------------------
interface Row {
  name: string;
  nsPerToken: number[];
}

let sink = 0; // keeps results observable so nothing is optimised away

function timeRounds(name: string, runOnce: () => number): Row {
  const requests = Math.ceil(TARGET_TOKENS / TOKENS_PER_REQUEST);
  for (let r = 0; r < Math.max(20, requests / 10); r++) sink += runOnce(); // warm-up
  const nsPerToken: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let tokens = 0;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < requests; r++) tokens += runOnce();
    const ns = Number(process.hrtime.bigint() - t0);
    nsPerToken.push(ns / tokens);
  }
  return { name, nsPerToken };
}

const gaps = { n: 0, onGap(gapMs: number) { this.n += gapMs >= 0 ? 1 : 0; } };

function fullPath(reads: Buffer[], keepText = false): () => number {
  return () => {
    const reader = new StreamReader({ keepText, observer: gaps });
    for (let i = 0; i < reads.length; i++) reader.push(reads[i], i);
    reader.end(reads.length);
    const s = reader.state;
    if (s.outputChunks !== TOKENS_PER_REQUEST || !s.done || s.error !== null || s.usage?.completionTokens !== TOKENS_PER_REQUEST) {
      throw new Error(`wrong result: ${JSON.stringify({ out: s.outputChunks, done: s.done, err: s.error })}`);
    }
    return s.outputChunks;
  };
}

function parseOnly(): number {
  let n = 0;
  for (let i = 0; i < payloads.length - 1; i++) {
    const v = JSON.parse(payloads[i]) as { choices: unknown[] };
    n += v.choices.length > 0 ? 1 : 0;
  }
  return n - 1; // the role chunk is not a token
}

function decoderOnly(reads: Buffer[]): () => number {
  const count: SseSink & { n: number } = { n: 0, onEvent(data: string) { this.n += data.length > 0 ? 1 : 0; } };
  return () => {
    const d = new SseDecoder();
    count.n = 0;
    for (let i = 0; i < reads.length; i++) d.push(reads[i], count);
    d.end(count);
    if (count.n !== events.length) throw new Error(`decoder saw ${count.n} events, expected ${events.length}`);
    return TOKENS_PER_REQUEST;
  };
}

function stateOnly(): number {
  const s = new StreamState({ keepText: false, observer: gaps });
  for (let i = 0; i < payloads.length; i++) s.onEvent(payloads[i], undefined, i);
  return s.outputChunks;
}

const one = readsOfEvents(1);
const sixteen = readsOfEvents(16);
const kib16 = readsOfBytes(16 * 1024);

const rows: Row[] = [
  timeRounds('decode+interpret, 1 event per read', fullPath(one)),
  timeRounds('decode+interpret, 16 events per read', fullPath(sixteen)),
  timeRounds('decode+interpret, 16 KiB reads (events split)', fullPath(kib16)),
  timeRounds('decode+interpret, 1 event per read, keepText', fullPath(one, true)),
  timeRounds('reference: decoder only, 1 event per read', decoderOnly(one)),
  timeRounds('reference: decoder only, 16 events per read', decoderOnly(sixteen)),
  timeRounds('reference: interpret only (StreamState, strings)', stateOnly),
  timeRounds('reference: JSON.parse of the payloads only', parseOnly),
];

const avgBytes = streamBytes.length / (TOKENS_PER_REQUEST + 3);
console.log(
  `node ${process.version}; ${Math.ceil(TARGET_TOKENS / TOKENS_PER_REQUEST) * TOKENS_PER_REQUEST} tokens per round ` +
    `(${TOKENS_PER_REQUEST} per request, ~${avgBytes.toFixed(0)} bytes per event), best / median of ${ROUNDS} rounds`,
);
for (const r of rows) {
  const sorted = [...r.nsPerToken].sort((a, b) => a - b);
  const best = sorted[0];
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `${r.name.padEnd(50)} ${best.toFixed(0).padStart(5)} / ${median.toFixed(0).padStart(5)} ns/token   ` +
      `${(1e9 / best / 1e6).toFixed(2).padStart(5)} M tokens/s`,
  );
}
if (sink < 0 || gaps.n < 0) console.log(sink);
