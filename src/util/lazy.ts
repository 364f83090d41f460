// Modules loaded on first use: a `loadshape run` pays for ajv only when a class has a schema, and
// for o200k_base only when no tokenizer.json was given (ajv took ~40-60 ms of CPU at start-up, the
// o200k tables ~300 ms, on the 2-core reference machine). Synchronous (createRequire loads the
// packages' CommonJS builds, the same code their ESM entry points wrap), so callers stay synchronous.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function ajvModule(): typeof import('ajv') {
  return require('ajv') as typeof import('ajv');
}

export function ajv2019Module(): typeof import('ajv/dist/2019.js') {
  return require('ajv/dist/2019.js') as typeof import('ajv/dist/2019.js');
}

export function ajv2020Module(): typeof import('ajv/dist/2020.js') {
  return require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
}

export function o200kModule(): typeof import('gpt-tokenizer/encoding/o200k_base') {
  return require('gpt-tokenizer/encoding/o200k_base') as typeof import('gpt-tokenizer/encoding/o200k_base');
}
