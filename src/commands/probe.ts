// `loadshape probe`: the I/O edge of the endpoint acceptance suite (src/probe/). Prints the table
// (or JSON) to stdout; exits non-zero when the endpoint cannot stream at all.
import { runProbe } from '../probe/checks.js';
import { createHttp } from '../probe/http.js';
import { renderProbe } from '../probe/render.js';
import { usageError, parseDurationMs } from '../util/errors.js';
import { buildHeaders, checkClientFlags } from './client-options.js';
import type { ProbeFlags } from './options.js';
import { retryingHttp } from '../probe/http.js';
import { rngFor } from '../util/rng.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUrl, Scrubber, scrubDeep, secretsOf, secretsOfUrl } from '../util/redact.js';

/** Exit code when the endpoint cannot stream (the same as an unreachable target). */
export const PROBE_CANNOT_STREAM = 5;

export async function probeCommand(o: ProbeFlags): Promise<number> {
  let url: URL;
  try {
    url = new URL(o.target);
  } catch {
    throw usageError(`--target: "${redactUrl(o.target)}" is not a URL; write e.g. http://127.0.0.1:8000/v1`);
  }
  // The same credentials and headers as run and sweep (--header, --api-key-env, --api-key-file).
  const headers = await buildHeaders(o);
  // --retry, --max-retries and --max-event-bytes mean what they mean in a run.
  const retry = checkClientFlags(o);
  if (o.insecure) process.stderr.write('loadshape: warning: --insecure: TLS certificates are not verified\n');
  const transport = createHttp({ headers, insecure: o.insecure });
  try {
    const raw = await runProbe({
      http: retry ? retryingHttp(transport.http, retry, rngFor(1, 0x7e77), (ms) => sleep(ms)) : transport.http,
      baseUrl: url.toString().replace(/\/+$/, ''),
      model: o.model,
      timeoutMs: o.timeout ? parseDurationMs(o.timeout, '--timeout') : undefined,
      maxProbeTokens: o.maxProbeTokens,
      maxEventBytes: o.maxEventBytes,
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
