// The golden stream corpus: the stream shapes the client is known to meet, written out byte for byte
// as the engines send them (field order, nulls, extra fields and all), so a change to the hot path can
// be checked against the records these streams yielded before it (corpus.test.ts, golden.json).
// Each fixture is the whole response body; `cuts` are byte offsets where the server splits it into
// separate writes (and the direct replay into separate reads), some of them inside a UTF-8 character.

export type CorpusPlan = 'chat' | 'completions' | 'tools' | 'schema';

export interface CorpusFixture {
  name: string;
  /** Which engine's shape, in words. */
  shape: string;
  body: string;
  /** Byte offsets at which the body is cut into reads (ascending). Default: one read per event. */
  cuts?: number[];
  plan?: CorpusPlan;
  /** Keep the answer text (default true: the text is part of what is compared). */
  keepText?: boolean;
  maxAnswerBytes?: number;
  /** Send this API key; the server's answer may echo it (the scrubber's work is compared too). */
  key?: string;
  /** Chunks that matched a learned shape, were scanned whole, went to JSON.parse (StreamState.templateChunks / scannedChunks / fullParseChunks). */
  paths: [template: number, scanned: number, full: number];
}

/** One SSE event per `data:` value. */
const sse = (...datas: string[]): string => datas.map((d) => `data: ${d}\n\n`).join('');
const DONE = '[DONE]';

// vLLM (0.6 – 0.11): role chunk, content chunks with logprobs/finish_reason null, a usage-only chunk.
const vllmId = '"id":"chatcmpl-7f1c","object":"chat.completion.chunk","created":1731000000,"model":"Qwen/Qwen2.5-7B-Instruct"';
const vllm = (delta: string, finish = 'null', extra = '') =>
  `{${vllmId},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}${finish === 'null' ? '' : ',"stop_reason":null'}}]${extra}}`;
const vllmUsage = (p: number, c: number) => `{${vllmId},"choices":[],"usage":{"prompt_tokens":${p},"total_tokens":${p + c},"completion_tokens":${c}}}`;

// SGLang: every delta lists role/content/reasoning_content/tool_calls, nulls included; matched_stop.
const sglId = '"id":"b2c94e","object":"chat.completion.chunk","created":1731000001,"model":"meta-llama/Llama-3.1-8B-Instruct"';
const sgl = (content: string, finish = 'null', reasoning = 'null') =>
  `{${sglId},"choices":[{"index":0,"delta":{"role":null,"content":${content},"reasoning_content":${reasoning},"tool_calls":null},"logprobs":null,"finish_reason":${finish},"matched_stop":${finish === 'null' ? 'null' : '128009'}}],"usage":null}`;

// TGI (axum SSE: `data:` without the space), system_fingerprint, usage null until the last chunk.
const tgi = (content: string, finish = 'null', usage = 'null') =>
  `{"object":"chat.completion.chunk","id":"","created":1731000002,"model":"tgi","system_fingerprint":"3.0.1-native","choices":[{"index":0,"delta":{"role":"assistant","content":${content},"tool_calls":null},"logprobs":null,"finish_reason":${finish}}],"usage":${usage}}`;

// llama.cpp server: `choices` first, keys in its own order, timings on the last chunk.
const llama = (delta: string, finish = 'null', extra = '') =>
  `{"choices":[{"finish_reason":${finish},"index":0,"delta":${delta}}],"created":1731000003,"id":"chatcmpl-Zq3","model":"gpt-3.5-turbo","system_fingerprint":"b4589-8b576b6c","object":"chat.completion.chunk"${extra}}`;

// Ollama's OpenAI endpoint: role on every delta, `reasoning` for thinking models.
const ollama = (delta: string, finish = 'null') =>
  `{"id":"chatcmpl-412","object":"chat.completion.chunk","created":1731000004,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}`;

// TensorRT-LLM (trtllm-serve): tool_calls an empty array, stop_reason, usage null.
const trt = (content: string, finish = 'null') =>
  `{"id":"chatcmpl-9d2","object":"chat.completion.chunk","created":1731000005,"model":"llama","choices":[{"index":0,"delta":{"role":null,"content":${content},"reasoning_content":null,"tool_calls":[]},"logprobs":null,"finish_reason":${finish},"stop_reason":null}],"usage":null}`;

// LiteLLM proxy: function_call/tool_calls/audio null in every delta, provider fields, usage details.
const lite = (content: string, finish = 'null') =>
  `{"id":"chatcmpl-5e0","created":1731000006,"model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":${content},"role":"assistant","function_call":null,"tool_calls":null,"audio":null},"finish_reason":${finish},"logprobs":null}],"provider_specific_fields":null,"stream_options":{"include_usage":true},"citations":null}`;

// OpenAI: service_tier, obfuscation padding, usage null on every chunk until a final usage chunk.
const oaiId = '"id":"chatcmpl-BX1","object":"chat.completion.chunk","created":1731000007,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_34a54ae93c"';
const oai = (delta: string, finish = 'null', obf = 'Qx9') => `{${oaiId},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}],"usage":null,"obfuscation":"${obf}"}`;
const oaiUsage = (p: number, c: number) =>
  `{${oaiId},"choices":[],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":"pD"}`;

const completionChunk = (text: string, finish = 'null') =>
  `{"id":"cmpl-a1","object":"text_completion","created":1731000008,"model":"m","choices":[{"index":0,"text":${text},"logprobs":null,"finish_reason":${finish},"stop_reason":null}],"usage":null}`;

/** Byte offset just after the first occurrence of `needle` in `body`, plus `delta` bytes. */
function byteAfter(body: string, needle: string, delta = 0): number {
  const b = Buffer.from(body);
  const i = b.indexOf(needle);
  if (i < 0) throw new Error(`corpus: ${needle} not in body`);
  return i + Buffer.byteLength(needle) + delta;
}

const splitUtf8Body = sse(
  vllm('{"role":"assistant","content":""}'),
  vllm('{"content":"日本"}'),
  vllm('{"content":"語 🚀"}'),
  vllm('{"content":" é"}', '"stop"'),
  vllmUsage(4, 3),
  DONE,
);

const KEY = 'sk-proj-Zt3q9Lm2Vx8Rk4Pw7Nc1Hy6Bd0Gf5Js';

export const CORPUS: CorpusFixture[] = [
  {
    name: 'vllm-chat',
    paths: [2, 4, 0],
    shape: 'vLLM chat: role chunk, content, finish with stop_reason, usage-only chunk, [DONE]',
    body: sse(vllm('{"role":"assistant","content":""}'), vllm('{"content":"Hello"}'), vllm('{"content":","}'), vllm('{"content":" world"}'), vllm('{"content":"!"}', '"stop"'), vllmUsage(12, 4), DONE),
  },
  {
    name: 'vllm-chat-no-text',
    paths: [0, 4, 0],
    shape: 'vLLM chat with the answer text not kept (the default of a plain run)',
    keepText: false,
    body: sse(vllm('{"role":"assistant","content":""}'), vllm('{"content":"Hello"}'), vllm('{"content":" there"}', '"length"'), vllmUsage(9, 2), DONE),
  },
  {
    name: 'vllm-continuous-usage',
    paths: [1, 4, 0],
    shape: 'vLLM with continuous_usage_stats: usage on every chunk',
    body: sse(
      vllm('{"role":"assistant","content":""}', 'null', ',"usage":{"prompt_tokens":7,"total_tokens":7,"completion_tokens":0}'),
      vllm('{"content":"a"}', 'null', ',"usage":{"prompt_tokens":7,"total_tokens":8,"completion_tokens":1}'),
      vllm('{"content":"b"}', 'null', ',"usage":{"prompt_tokens":7,"total_tokens":9,"completion_tokens":2}'),
      vllm('{"content":"c"}', '"stop"', ',"usage":{"prompt_tokens":7,"total_tokens":10,"completion_tokens":3}'),
      vllmUsage(7, 3),
      DONE,
    ),
  },
  {
    name: 'vllm-reasoning-content',
    paths: [1, 6, 0],
    shape: 'vLLM reasoning parser: reasoning_content deltas, then content',
    body: sse(
      vllm('{"role":"assistant","content":""}'),
      vllm('{"reasoning_content":"Let me"}'),
      vllm('{"reasoning_content":" think."}'),
      vllm('{"content":"","reasoning_content":" Done"}'),
      vllm('{"content":"42"}'),
      vllm('{"content":""}', '"stop"'),
      vllmUsage(20, 5),
      DONE,
    ),
  },
  {
    name: 'vllm-reasoning-field',
    paths: [0, 5, 0],
    shape: 'vLLM ≥ 0.10 `reasoning` field (and reasoning_content null)',
    body: sse(vllm('{"role":"assistant","content":"","reasoning_content":null}'), vllm('{"reasoning":"Hmm"}'), vllm('{"reasoning_content":null,"reasoning":", ok"}'), vllm('{"content":"Yes"}', '"stop"'), vllmUsage(3, 3), DONE),
  },
  {
    name: 'vllm-tool-calls',
    paths: [0, 7, 0],
    shape: 'vLLM tool call: id/name first, arguments split across chunks with escaped quotes',
    plan: 'tools',
    body: sse(
      vllm('{"role":"assistant","content":""}'),
      vllm('{"tool_calls":[{"id":"chatcmpl-tool-4e1","type":"function","index":0,"function":{"name":"lookup"}}]}'),
      vllm('{"tool_calls":[{"index":0,"function":{"arguments":"{\\"q\\": \\""}}]}'),
      vllm('{"tool_calls":[{"index":0,"function":{"arguments":"Paris"}}]}'),
      vllm('{"tool_calls":[{"index":0,"function":{"arguments":"\\"}"}}]}'),
      vllm('{"content":""}', '"tool_calls"'),
      vllmUsage(40, 9),
      DONE,
    ),
  },
  {
    name: 'vllm-n2',
    paths: [0, 4, 3],
    shape: 'vLLM n=2: one choice per chunk, indexes interleaved; choice 1 finishes first',
    body: sse(
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":1,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":1,"delta":{"content":"B"},"logprobs":null,"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":1,"delta":{"content":"C"},"logprobs":null,"finish_reason":"stop"}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"b"},"logprobs":null,"finish_reason":"length"}]}',
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"total_tokens":9,"completion_tokens":4}}',
      DONE,
    ),
  },
  {
    name: 'openai-n2-multi-choice',
    paths: [0, 1, 1],
    shape: 'several choices in one chunk, choice 0 not first',
    body: sse(
      '{"choices":[{"index":1,"delta":{"content":"X"},"finish_reason":null},{"index":0,"delta":{"content":"x"},"finish_reason":null}]}',
      '{"choices":[{"index":0,"delta":{"content":"y"},"finish_reason":"stop"},{"index":1,"delta":{"content":"Y"},"finish_reason":"stop"}]}',
      DONE,
    ),
  },
  {
    name: 'vllm-completions',
    paths: [2, 3, 0],
    shape: 'vLLM /v1/completions: choices[0].text, an empty text chunk',
    plan: 'completions',
    body: sse(completionChunk('"Once"'), completionChunk('""'), completionChunk('" upon"'), completionChunk('" a"', '"length"'), '{"id":"cmpl-a1","object":"text_completion","created":1731000008,"model":"m","choices":[],"usage":{"prompt_tokens":5,"total_tokens":8,"completion_tokens":3}}', DONE),
  },
  {
    name: 'sglang-chat',
    paths: [2, 3, 1],
    shape: 'SGLang chat: nulls for every delta field, matched_stop, usage chunk',
    body: sse(
      `{${sglId},"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning_content":null,"tool_calls":null},"logprobs":null,"finish_reason":null,"matched_stop":null}],"usage":null}`,
      sgl('"The"'),
      sgl('" sky"'),
      sgl('" is blue."'),
      sgl('""', '"stop"'),
      `{${sglId},"choices":[],"usage":{"prompt_tokens":14,"total_tokens":18,"completion_tokens":4,"prompt_tokens_details":null}}`,
      DONE,
    ),
  },
  {
    name: 'sglang-reasoning',
    paths: [1, 3, 0],
    shape: 'SGLang reasoning parser: content null while reasoning_content streams',
    body: sse(sgl('null', 'null', '"Think"'), sgl('null', 'null', '"ing"'), sgl('"Answer"'), sgl('null', '"stop"'), DONE),
  },
  {
    name: 'tgi-chat',
    paths: [1, 2, 0],
    shape: 'TGI chat: `data:` without a space, usage on the last chunk, no usage-only chunk',
    body: [tgi('"Deep"'), tgi('" learning"'), tgi('" works"', '"length"', '{"prompt_tokens":6,"completion_tokens":3,"total_tokens":9}'), DONE].map((d) => `data:${d}\n\n`).join(''),
  },
  {
    name: 'llamacpp-chat',
    paths: [1, 3, 0],
    shape: 'llama.cpp server: choices first, final chunk with usage and timings',
    body: sse(
      llama('{"role":"assistant","content":null}'),
      llama('{"content":"Hi"}'),
      llama('{"content":" there"}'),
      llama('{}', '"stop"', ',"usage":{"completion_tokens":2,"prompt_tokens":8,"total_tokens":10},"timings":{"prompt_n":8,"prompt_ms":12.5,"predicted_n":2,"predicted_ms":30.1}'),
      DONE,
    ),
  },
  {
    name: 'llamacpp-reasoning',
    paths: [1, 3, 0],
    shape: 'llama.cpp --reasoning-format deepseek: reasoning_content deltas',
    body: sse(llama('{"reasoning_content":"Because"}'), llama('{"reasoning_content":" so"}'), llama('{"content":"Yes"}'), llama('{}', '"stop"'), DONE),
  },
  {
    name: 'llamacpp-error-field',
    paths: [0, 1, 0],
    shape: 'older llama.cpp: an `error:` SSE field mid-stream, then data: [DONE]',
    body: `${sse(llama('{"content":"Hi"}'))}error: {"code":500,"message":"slot unavailable","type":"server_error"}\n\n${sse(DONE)}`,
  },
  {
    name: 'ollama-chat',
    paths: [1, 3, 0],
    shape: 'Ollama OpenAI endpoint: role on every delta, finish, usage chunk',
    body: sse(
      ollama('{"role":"assistant","content":"Why"}'),
      ollama('{"role":"assistant","content":" not"}'),
      ollama('{"role":"assistant","content":""}', '"stop"'),
      '{"id":"chatcmpl-412","object":"chat.completion.chunk","created":1731000004,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}}',
      DONE,
    ),
  },
  {
    name: 'ollama-reasoning',
    paths: [1, 3, 0],
    shape: 'Ollama thinking model: `reasoning` deltas before content',
    body: sse(ollama('{"role":"assistant","content":"","reasoning":"Okay"}'), ollama('{"role":"assistant","content":"","reasoning":", so"}'), ollama('{"role":"assistant","content":"Sure"}'), ollama('{"role":"assistant","content":""}', '"stop"'), DONE),
  },
  {
    name: 'trtllm-chat',
    paths: [1, 4, 0],
    shape: 'TensorRT-LLM trtllm-serve: tool_calls [] on every delta, stop_reason, usage null',
    body: sse(
      `{"id":"chatcmpl-9d2","object":"chat.completion.chunk","created":1731000005,"model":"llama","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":null,"tool_calls":[]},"logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}`,
      trt('"Fast"'),
      trt('" inference"'),
      trt('""', '"stop"'),
      '{"id":"chatcmpl-9d2","object":"chat.completion.chunk","created":1731000005,"model":"llama","choices":[],"usage":{"prompt_tokens":9,"total_tokens":11,"completion_tokens":2}}',
      DONE,
    ),
  },
  {
    name: 'litellm-chat',
    paths: [1, 2, 1],
    shape: 'LiteLLM proxy: function_call/audio nulls, provider fields, usage with details',
    body: sse(
      lite('"Sure"'),
      lite('", here"'),
      lite('null', '"stop"'),
      '{"id":"chatcmpl-5e0","created":1731000006,"model":"gpt-4o-mini","object":"chat.completion.chunk","system_fingerprint":null,"choices":[{"index":0,"delta":{}}],"usage":{"completion_tokens":2,"prompt_tokens":10,"total_tokens":12,"completion_tokens_details":{"accepted_prediction_tokens":0,"audio_tokens":0,"reasoning_tokens":0,"rejected_prediction_tokens":0},"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":0}}}',
      DONE,
    ),
  },
  {
    name: 'openai-chat',
    paths: [2, 3, 1],
    shape: 'OpenAI: refusal null, usage null on chunks, obfuscation, final usage chunk with details',
    body: sse(
      oai('{"role":"assistant","content":"","refusal":null}', 'null', 'Kd'),
      oai('{"content":"Paris"}'),
      oai('{"content":" is"}', 'null', 'z'),
      oai('{"content":" lovely."}'),
      oai('{}', '"stop"', 'wQe'),
      oaiUsage(13, 4),
      DONE,
    ),
  },
  {
    name: 'openai-parallel-tools',
    paths: [0, 6, 1],
    shape: 'OpenAI parallel tool calls: content null, interleaved argument pieces by index',
    plan: 'tools',
    body: sse(
      oai('{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup","arguments":""}}],"refusal":null}'),
      oai('{"tool_calls":[{"index":0,"function":{"arguments":"{\\"q\\""}}]}'),
      oai('{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"lookup","arguments":""}}]}'),
      oai('{"tool_calls":[{"index":1,"function":{"arguments":"{\\"q\\":\\"tz\\"}"}}]}'),
      oai('{"tool_calls":[{"index":0,"function":{"arguments":":\\"weather\\"}"}}]}'),
      oai('{}', '"tool_calls"'),
      oaiUsage(50, 20),
      DONE,
    ),
  },
  {
    name: 'crlf',
    paths: [0, 4, 0],
    shape: 'CRLF line ends (proxies on Windows stacks), a keep-alive comment',
    body: `: keep-alive\r\n\r\n${[vllm('{"role":"assistant","content":""}'), vllm('{"content":"crlf"}'), vllm('{"content":" ok"}', '"stop"'), vllmUsage(2, 2), DONE].map((d) => `data: ${d}\r\n\r\n`).join('')}`,
  },
  {
    name: 'split-utf8',
    paths: [1, 4, 0],
    shape: 'multi-byte characters cut between reads (inside 語 and inside 🚀)',
    body: splitUtf8Body,
    cuts: [byteAfter(splitUtf8Body, '日', -2), byteAfter(splitUtf8Body, '"content":"語', -1), byteAfter(splitUtf8Body, '語 ', 2), byteAfter(splitUtf8Body, '" é', -1)],
  },
  {
    name: 'escapes',
    paths: [2, 3, 0],
    shape: 'JSON escapes in content: \\n \\" \\\\ \\t \\u00e9 and a surrogate pair',
    body: sse(vllm('{"content":"line\\none"}'), vllm('{"content":" \\"quoted\\" back\\\\slash\\ttab"}'), vllm('{"content":" caf\\u00e9 \\ud83d\\ude80"}'), vllm('{"content":"/\\/"}', '"stop"'), vllmUsage(3, 4), DONE),
  },
  {
    name: 'heartbeats',
    paths: [0, 2, 2],
    shape: 'comments, empty data and whitespace data between chunks; event: message',
    body: `: ping\n\n${sse(vllm('{"content":"a"}'))}data:\n\ndata:   \n\nevent: message\n${sse(vllm('{"content":"b"}', '"stop"'))}: ping\n\n${sse(DONE)}`,
  },
  {
    name: 'multiline-data',
    paths: [0, 1, 0],
    shape: 'one JSON chunk spread over two data: lines (joined with a newline)',
    body: `data: {"choices":[{"index":0,\ndata: "delta":{"content":"joined"},"finish_reason":"stop"}]}\n\n${sse(DONE)}`,
  },
  {
    name: 'usage-only-and-null',
    paths: [0, 3, 0],
    shape: 'usage null on content chunks, then a usage-only chunk without choices',
    body: sse(vllm('{"content":"x"}', 'null', ',"usage":null'), vllm('{"content":"y"}', '"stop"', ',"usage":null'), '{"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}', DONE),
  },
  {
    name: 'error-object',
    paths: [0, 1, 1],
    shape: 'vLLM/OpenAI in-band error object after content',
    body: sse(vllm('{"content":"Hel"}'), '{"error":{"message":"CUDA out of memory","type":"InternalServerError","param":null,"code":500}}', vllm('{"content":"lo"}', '"stop"'), DONE),
  },
  {
    name: 'error-string',
    paths: [0, 1, 1],
    shape: 'a string `error` field (proxies)',
    body: sse(lite('"a"'), '{"error":"upstream timed out"}'),
  },
  {
    name: 'object-error',
    paths: [0, 1, 1],
    shape: 'SGLang/vLLM `{object: "error", message}` chunk',
    body: sse(sgl('"a"'), '{"object":"error","message":"Request was aborted","type":"BadRequestError","param":null,"code":400}'),
  },
  {
    name: 'event-error',
    paths: [0, 1, 0],
    shape: '`event: error` with a JSON payload',
    body: `${sse(vllm('{"content":"a"}'))}event: error\ndata: {"error":{"message":"engine overloaded"}}\n\n`,
  },
  {
    name: 'error-null-field',
    paths: [0, 1, 0],
    shape: 'an `"error": null` field on a normal chunk is not an error',
    body: sse(vllm('{"content":"ok"}', '"stop"', ',"error":null'), DONE),
  },
  {
    name: 'malformed-json',
    paths: [0, 1, 1],
    shape: 'a chunk that is not JSON after content',
    body: `${sse(vllm('{"content":"Hel"}'))}data: {"choices": [{"index": 0, "delta": {"content": "lo"\n\n${sse(DONE)}`,
  },
  {
    name: 'not-an-object',
    paths: [0, 1, 1],
    shape: 'JSON that is not an object',
    body: sse(vllm('{"content":"a"}'), '[1,2]'),
  },
  {
    name: 'finish-without-done',
    paths: [0, 2, 0],
    shape: 'a finish_reason and no [DONE] (some engines)',
    body: sse(llama('{"content":"a"}'), llama('{"content":"b"}', '"stop"')),
  },
  {
    name: 'done-without-finish',
    paths: [1, 1, 0],
    shape: '[DONE] with no finish_reason: no_finish_reason',
    body: sse(vllm('{"content":"a"}'), vllm('{"content":"b"}'), DONE),
  },
  {
    name: 'truncated',
    paths: [1, 1, 0],
    shape: 'the body ends with neither [DONE] nor a finish_reason',
    body: sse(vllm('{"content":"a"}'), vllm('{"content":"b"}')),
  },
  {
    name: 'usage-invalid',
    paths: [0, 3, 0],
    shape: 'usage with a fractional completion count',
    body: sse(vllm('{"content":"a"}'), vllm('{"content":"b"}', '"stop"'), vllmUsage(3, 2.5), DONE),
  },
  {
    name: 'usage-mismatch',
    paths: [0, 3, 0],
    shape: 'usage counts far from the streamed chunks (speculative decoding batches)',
    body: sse(vllm('{"content":"abc"}'), vllm('{"content":"def"}', '"stop"'), vllmUsage(3, 9), DONE),
  },
  {
    name: 'too-large',
    paths: [2, 2, 0],
    shape: 'an answer over --max-answer-bytes (20 bytes): kept in part, read to its end',
    maxAnswerBytes: 20,
    body: sse(vllm('{"content":"0123456789"}'), vllm('{"content":"abcdefghij"}'), vllm('{"content":"KLMNOPQRST"}'), vllm('{"content":"!"}', '"stop"'), DONE),
  },
  {
    name: 'schema-answer',
    paths: [1, 4, 0],
    shape: 'structured output: a JSON answer with escaped quotes, judged against its schema',
    plan: 'schema',
    body: sse(vllm('{"role":"assistant","content":""}'), vllm('{"content":"{\\"a\\": "}'), vllm('{"content":"\\"x\\"}"}'), vllm('{"content":""}', '"stop"'), vllmUsage(30, 5), DONE),
  },
  {
    name: 'secret-echo',
    paths: [0, 3, 0],
    shape: 'the API key echoed back in the answer, split across two chunks: scrubbed',
    key: KEY,
    body: sse(vllm(`{"content":"your key ${KEY.slice(0, 20)}"}`), vllm(`{"content":"${KEY.slice(20)} ok"}`, '"stop"'), vllmUsage(3, 2), DONE),
  },
  {
    name: 'bench-server',
    paths: [1, 3, 0],
    shape: "scripts/bench-server.ts's chunks (the benchmark's shape), several per write",
    keepText: false,
    body: sse(
      '{"id":"b","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"t":1764800000000.125}',
      '{"id":"b","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}],"t":1764800000000.250}',
      '{"id":"b","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":"length"}],"t":1764800000000.375}',
      '{"id":"b","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4}}',
      DONE,
    ),
    cuts: [],
  },
];
