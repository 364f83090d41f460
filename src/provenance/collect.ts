// Provenance: what the target says it serves. /v1/models (ids, max_model_len), response headers
// naming the server, and the version endpoints engines have (vLLM /version, TGI /info, llama.cpp
// /props). Every call is short and optional: an engine without an endpoint is simply skipped.
import { parseModels } from '../probe/checks.js';
import { bodyJson, serverRoot, type HttpFn, type HttpResult } from '../probe/http.js';
import { SIM_ENGINE, type Provenance } from './schema.js';

export type { Provenance } from './schema.js';



const HEADER_NAMES = /^(server|x-powered-by|via|x-served-by)$|version|engine|backend/i;
const VERSION_PATHS = [
  { path: '/version', engine: 'vllm', accept: (j: Record<string, unknown>) => typeof j.version === 'string' },
  { path: '/info', engine: 'tgi', accept: (j: Record<string, unknown>) => 'model_id' in j || 'router' in j },
  { path: '/props', engine: 'llama.cpp', accept: (j: Record<string, unknown>) => 'build_info' in j || 'total_slots' in j || 'default_generation_settings' in j },
];

export async function collectProvenance(http: HttpFn, baseUrl: string, timeoutMs = 2000): Promise<Provenance> {
  const base = baseUrl.replace(/\/+$/, '');
  const root = serverRoot(base);
  const [models, ...versions] = await Promise.all([
    http({ method: 'GET', url: `${base}/models`, timeoutMs }),
    ...VERSION_PATHS.map((v) => http({ method: 'GET', url: `${root}${v.path}`, timeoutMs })),
  ]);
  const serverHeaders: Record<string, string> = {};
  for (const r of [models, ...versions]) if (r.kind === 'response') for (const [k, v] of Object.entries(r.headers)) if (HEADER_NAMES.test(k)) serverHeaders[k] = v.slice(0, 200);
  const found: Provenance['versions'] = [];
  let engine: string | null = null;
  versions.forEach((r, i) => {
    const j = okJson(r);
    if (j && VERSION_PATHS[i].accept(j)) {
      found.push({ path: VERSION_PATHS[i].path, body: trim(j) });
      // loadshape's simulator answers /version like vLLM and names itself (sim/server.ts SIM_ENGINE).
      engine ??= j.engine === SIM_ENGINE ? SIM_ENGINE : VERSION_PATHS[i].engine;
    }
  });
  return { models: okJson(models) ? parseModels(bodyJson(models)) : null, serverHeaders, versions: found, engine };
}

function okJson(r: HttpResult): Record<string, unknown> | null {
  if (r.kind !== 'response' || r.status !== 200) return null;
  const j = bodyJson(r);
  return typeof j === 'object' && j !== null && !Array.isArray(j) ? (j as Record<string, unknown>) : null;
}

/** Scalars up to two levels deep, strings cut at 200 chars: /props carries a whole chat template. */
function trim(o: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o).slice(0, 40)) {
    if (typeof v === 'string') out[k] = v.length > 200 ? `${v.slice(0, 200)}…` : v;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (depth === 0 && typeof v === 'object' && !Array.isArray(v)) out[k] = trim(v as Record<string, unknown>, 1);
  }
  return out;
}
