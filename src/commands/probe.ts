// `loadshape probe`: the I/O edge of the endpoint acceptance suite (src/probe/). Prints the table
// (or JSON) to stdout; exits non-zero when the endpoint cannot stream at all.
import { runProbe } from '../probe/checks.js';
import { createHttp } from '../probe/http.js';
import { renderProbe } from '../probe/render.js';
import { usageError, parseDurationMs } from '../util/errors.js';
import { redactUrl, Scrubber, scrubDeep, secretsOf, secretsOfUrl } from '../util/redact.js';

export interface ProbeCommandOptions {
  target: string;
  model?: string;
  json: boolean;
  apiKeyEnv?: string;
  header: string[];
  timeout?: string;
  maxProbeTokens?: number;
}

/** Exit code when the endpoint cannot stream (the same as an unreachable target). */
export const PROBE_CANNOT_STREAM = 5;

export async function probeCommand(o: ProbeCommandOptions): Promise<number> {
  let url: URL;
  try {
    url = new URL(o.target);
  } catch {
    throw usageError(`--target: "${redactUrl(o.target)}" is not a URL; write e.g. http://127.0.0.1:8000/v1`);
  }
  const headers: Record<string, string> = {};
  for (const h of o.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw usageError(`--header: expected 'Name: value', got '${h.slice(0, 40)}'`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (o.apiKeyEnv) {
    const key = process.env[o.apiKeyEnv];
    if (!key) throw usageError(`--api-key-env: environment variable ${o.apiKeyEnv} is not set or empty`);
    headers.authorization = `Bearer ${key}`;
  }
  const transport = createHttp({ headers });
  try {
    const raw = await runProbe({
      http: transport.http,
      baseUrl: url.toString().replace(/\/+$/, ''),
      model: o.model,
      timeoutMs: o.timeout ? parseDurationMs(o.timeout, '--timeout') : undefined,
      maxProbeTokens: o.maxProbeTokens,
    });
    // Evidence quotes the server, which may echo a key; the target may carry credentials.
    const scrubber = new Scrubber([...secretsOf(headers), ...secretsOfUrl(o.target)]);
    const report = { ...scrubDeep(raw, scrubber), target: redactUrl(raw.target) };
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderProbe(report)}\n`);
    return report.canStream ? 0 : PROBE_CANNOT_STREAM;
  } finally {
    await transport.close();
  }
}
