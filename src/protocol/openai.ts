// OpenAI wire types: the shapes that travel between loadshape's client and an inference server
// (and the embedded simulator). Types only, so importing this module costs nothing at run time.
// They describe what loadshape sends and reads, not the whole OpenAI API: fields loadshape
// never touches are left out, and every request type stays open to extra fields because
// engines accept extensions (vLLM's `ignore_eos`, `min_tokens`).

export type JsonSchema = Record<string, unknown> | boolean;

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean } };

export interface TextContentPart {
  type: 'text';
  text: string;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** A string, or content parts of which only the text parts carry prompt tokens. */
  content: string | Array<TextContentPart | { type: string; [key: string]: unknown }> | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface StreamOptions {
  include_usage?: boolean;
}

/** Fields shared by both endpoints, including the vLLM extensions loadshape sends. */
interface GenerationParams {
  model: string;
  stream?: boolean;
  stream_options?: StreamOptions;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  n?: number;
  /** vLLM: keep generating past the end-of-sequence token until max_tokens. */
  ignore_eos?: boolean;
  /** vLLM: do not stop before this many tokens. */
  min_tokens?: number;
  [extra: string]: unknown;
}

export interface ChatCompletionRequest extends GenerationParams {
  messages: ChatMessage[];
  /** The newer OpenAI name for max_tokens on chat; wins when both are sent. */
  max_completion_tokens?: number;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  response_format?: ResponseFormat;
}

export interface CompletionRequest extends GenerationParams {
  /** A string, or token ids; a one-element array of either is one prompt. */
  prompt: string | string[] | number[] | number[][];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** A tool-call fragment inside a streamed delta: the first one for an index carries id and name. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: ToolCallDelta[] };
    logprobs?: null;
    finish_reason: FinishReason | null;
  }>;
  /** Present (with `choices: []`) only on the final chunk when `stream_options.include_usage` is set. */
  usage?: Usage | null;
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; logprobs?: null; finish_reason: FinishReason | null }>;
  usage?: Usage | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] };
    logprobs?: null;
    finish_reason: FinishReason;
  }>;
  usage: Usage;
}

/** A non-streamed /v1/completions response: same `object` name as its chunks, as OpenAI does. */
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; logprobs?: null; finish_reason: FinishReason }>;
  usage: Usage;
}

export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** vLLM extension: the context window in tokens. */
  max_model_len?: number;
}

export interface ModelList {
  object: 'list';
  data: ModelCard[];
}

/** OpenAI's error body; `code` is a stable string where the server gives one. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
