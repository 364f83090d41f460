// Token counting for prompt synthesis: the planner sizes every prompt in tokens of one tokenizer,
// by default OpenAI's o200k_base, or the model's own Hugging Face tokenizer.json when given.
// Counts exclude special tokens (BOS, chat template): they are the server's, not our prompt's.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { o200kModule } from '../util/lazy.js';
import { workloadError } from '../util/errors.js';

export interface Tokenizer {
  readonly name: string;
  encode(text: string): number[];
  decode(ids: number[]): string;
  count(text: string): number;
}

// Special-token strings such as "<|endoftext|>" inside prompt text are counted as the plain text a
// server would see; gpt-tokenizer throws on them by default.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

let o200kTokenizer: Tokenizer | undefined;

/** o200k_base (GPT-4o and later) from gpt-tokenizer: no files needed, a fair proxy for modern BPE models. */
export function defaultTokenizer(): Tokenizer {
  if (o200kTokenizer !== undefined) return o200kTokenizer;
  const o200k = o200kModule();
  o200kTokenizer = {
    name: 'o200k_base',
    encode: (text) => o200k.encode(text, PLAIN_TEXT),
    decode: (ids) => o200k.decode(ids),
    count: (text) => o200k.encode(text, PLAIN_TEXT).length,
  };
  return o200kTokenizer;
}

/**
 * No path: the default tokenizer. Otherwise a local Hugging Face tokenizer.json (or a folder holding
 * one); a tokenizer_config.json beside it is used when present. Never touches the network.
 */
export async function loadTokenizer(path?: string): Promise<Tokenizer> {
  if (path === undefined) return defaultTokenizer();
  const file = await tokenizerFile(path);
  const tokenizerJson = await readJson(file, 'tokenizer.json');
  const configFile = join(dirname(file), 'tokenizer_config.json');
  const config = (await exists(configFile)) ? await readJson(configFile, 'tokenizer_config.json') : {};
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(tokenizerJson, config);
    // Construction is lazy about some components; one round trip surfaces an unusable model now
    // rather than in the middle of a run.
    hf.decode(hf.encode('hello world', { add_special_tokens: false }).ids);
  } catch (err) {
    throw workloadError(
      `${file}: not a usable Hugging Face tokenizer (${errorText(err)}); pass the tokenizer.json from the model's repository, or leave the tokenizer unset to count with o200k_base`,
    );
  }
  return {
    name: file,
    encode: (text) => hf.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => hf.decode(ids, { skip_special_tokens: false }),
    count: (text) => hf.encode(text, { add_special_tokens: false }).ids.length,
  };
}

async function tokenizerFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw workloadError(`${path}: cannot read the tokenizer (${errorText(err)}); give the path of a local tokenizer.json (download it from the model's Hugging Face repository)`);
  }
  if (!info.isDirectory()) return path;
  const inside = join(path, 'tokenizer.json');
  if (!(await exists(inside))) {
    throw workloadError(`${path}: folder has no tokenizer.json; give the path of the model's tokenizer.json`);
  }
  return inside;
}

async function readJson(file: string, what: string): Promise<object> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw workloadError(`${file}: cannot read ${what} (${errorText(err)}); check the path and its permissions`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw workloadError(`${file}: ${what} is not valid JSON (${errorText(err)}); download the file again from the model's Hugging Face repository`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw workloadError(`${file}: expected ${what} to hold a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
