// The errors every layer may throw or classify; `http/error-response.ts` is their one HTTP form.
import { type ErrorBody, type ErrorCode, errorStatus } from '@flagline/core';

/** The one error type use cases throw; `app.onError` maps it to HTTP. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** When the client may try again (the Retry-After header of a 429 or 503); a default per code otherwise. */
    readonly retryAfterSeconds?: number,
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

/** Insufficient resources: disk full (53100), out of memory (53200), too many connections (53300), … */
export const isOutOfResources = (error: unknown) => /^53/.test(sqlState(error) ?? '');

/** Seconds a client is told to wait (Retry-After) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The database is down, restarting, unreachable (SQLSTATE class 08 or 57P, or a lost connection) or out of resources
 * (class 53: disk full, memory, connections), anywhere in the cause chain: a 503 the client may retry, not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (/^08|^53|^57P/.test(sqlState(error) ?? '')) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (CONNECTION_LOST.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
