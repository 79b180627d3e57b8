import { TargetNotAllowedError } from './target-policy';

/** Thrown into an in-flight send when the dispatcher stops. */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
}

const BY_CODE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'host unreachable',
};

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 5; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * What a viewer may see of a failed delivery: a short, fixed phrase. Never the receiver's body, the error text of the
 * socket (it names addresses and ports), or anything that would let a webhook be used to map the internal network.
 */
export function describeFailure(error: unknown): string {
  for (const cause of causes(error)) {
    if (cause instanceof TargetNotAllowedError) return 'target not allowed';
    if (cause instanceof ShutdownError) return 'interrupted by shutdown';
    if (cause instanceof Error && cause.name === 'TimeoutError') return 'timeout';
    const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
    if (code && BY_CODE[code]) return BY_CODE[code];
    if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED/.test(code))) {
      return 'TLS error';
    }
  }
  return 'request failed';
}

/** The error's code, for the operator's log line (the log gets no more than the code: no addresses either). */
export function failureCode(error: unknown): string | undefined {
  for (const cause of causes(error)) {
    const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
    if (code) return code;
  }
  return undefined;
}

const SHOWN = new Set([
  ...Object.values(BY_CODE),
  'target not allowed',
  'interrupted by shutdown',
  'timeout',
  'TLS error',
  'request failed',
  'webhook deleted',
  'event not found',
]);

/**
 * A stored lastError as viewers see it. Rows written before errors were sanitised hold the socket's own text (with
 * addresses and ports): anything outside the fixed vocabulary is shown as "request failed".
 */
export function shownError(stored: string | null): string | null {
  if (stored === null || SHOWN.has(stored) || /^HTTP \d{3}$/.test(stored)) return stored;
  return 'request failed';
}
