import { type ErrorBody, type ErrorCode, errorStatus } from '@flagline/core';

/** The one error type use cases throw; `app.onError` maps it to HTTP. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toBody(requestId: string): ErrorBody {
    return {
      error: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
      requestId,
    };
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found.`);

/** Postgres SQLSTATE of a driver error, whichever driver (pg or PGlite) raised it. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** How node-postgres and Node word a connection that is gone or cannot be made (these carry no SQLSTATE). */
const CONNECTION_LOST =
  /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|not queryable|timeout exceeded when trying to connect/;

/**
 * The database is down, restarting or unreachable (SQLSTATE class 08 or 57P, or a lost connection), anywhere in the
 * cause chain: a 503 the client may retry, not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (/^08|^57P/.test(sqlState(error) ?? '')) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (CONNECTION_LOST.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
