// Error classification: transport errors to the classes a user counts. Classify on stable codes
// (undici and Node set `code`), never on message text.
import type { ErrorClass } from './record.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/;

/** The code of an error or of the first error in its cause chain that has one. */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return (err as { code?: string } | undefined)?.code;
}

/**
 * Classifies a transport failure. `afterHeaders` tells a connection lost mid-stream
 * (stream_truncated) from one lost before any response (reset).
 */
export function classifyTransportError(err: unknown, afterHeaders: boolean): ErrorClass {
  const code = errorCode(err) ?? '';
  if (code === 'LOADSHAPE_TIMEOUT_TOTAL') return 'timeout_total';
  if (code === 'LOADSHAPE_CANCELLED') return 'cancelled';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout_ttfb';
  if (code === 'UND_ERR_BODY_TIMEOUT') return afterHeaders ? 'timeout_idle' : 'timeout_ttfb';
  if (DNS_CODES.has(code)) return 'dns';
  if (TLS_CODE.test(code)) return 'tls';
  if (CONNECT_CODES.has(code)) return afterHeaders ? 'stream_truncated' : 'connect';
  if (RESET_CODES.has(code)) return afterHeaders ? 'stream_truncated' : 'reset';
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'malformed';
  // Something answered, but not in HTTP (a wrong port, http:// to a TLS port): not a refused connection.
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'HTTPParserError' || code === 'HPE_INVALID_CONSTANT' || code === 'UND_ERR_HEADERS_OVERFLOW') {
    return afterHeaders ? 'stream_truncated' : 'malformed';
  }
  return afterHeaders ? 'stream_truncated' : 'connect';
}

export function classifyHttpStatus(status: number): ErrorClass {
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  return 'http_4xx';
}

/** A typed error the client raises itself, carrying a code the classifier knows. */
export class ClientAbort extends Error {
  constructor(
    readonly code: 'LOADSHAPE_TIMEOUT_TOTAL' | 'LOADSHAPE_CANCELLED',
    message: string,
  ) {
    super(message);
  }
}
