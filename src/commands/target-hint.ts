// The likely fix for a target that answers every request the same wrong way: a base URL without its
// /v1 (HTTP 404 on every path) or https:// against a plain-HTTP port (the TLS handshake reads an HTTP
// reply: ERR_SSL_WRONG_VERSION_NUMBER). Pure; run's verdict and model discovery append it to their line.
import { redactUrl } from '../util/redact.js';

export interface TargetEvidence {
  /** Every answer was HTTP 404. */
  notFound: boolean;
  /** Transport error codes seen (e.g. ERR_SSL_WRONG_VERSION_NUMBER). */
  codes: string[];
}

/** A hint naming the fix, or null when the evidence points at nothing in particular. */
export function targetHint(baseUrl: string, e: TargetEvidence): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return null;
  }
  if (url.protocol === 'https:' && e.codes.includes('ERR_SSL_WRONG_VERSION_NUMBER')) {
    url.protocol = 'http:';
    return `the port answers plain HTTP, not TLS: use --target ${redactUrl(url.toString().replace(/\/+$/, ''))}`;
  }
  if (e.notFound) {
    if (!/\/v1\/?$/.test(url.pathname)) {
      url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1`;
      return `HTTP 404: the base URL likely lacks /v1; use --target ${redactUrl(url.toString())}`;
    }
    return 'HTTP 404: check that --target is the API\'s base (ending in /v1) and that the server serves the model requested (--model)';
  }
  return null;
}

/** The evidence in a finished run's error counts and samples (every failure a 404; TLS codes named in samples). */
export function runEvidence(errorsByClass: Partial<Record<string, number>>, samples: Partial<Record<string, string[]>>): TargetEvidence {
  const classes = Object.entries(errorsByClass).filter(([, n]) => (n ?? 0) > 0).map(([k]) => k);
  const http4xx = samples.http_4xx ?? [];
  const notFound = classes.length === 1 && classes[0] === 'http_4xx' && http4xx.length > 0 && http4xx.every((s) => s.startsWith('HTTP 404'));
  const codes = [...new Set((samples.tls ?? []).map((s) => /^([A-Z_]+):/.exec(s)?.[1]).filter((c): c is string => c !== undefined))];
  return { notFound, codes };
}
