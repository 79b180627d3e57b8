import { type ErrorCode, errorTitles, type ProblemBody, problemType } from '@flagline/core';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type AppError, RETRY_AFTER_SECONDS } from '../shared/errors';
import type { AppEnv } from './context';

/** Retry-After when the thrower does not know better: a database blip passes in seconds, a rate limit in a minute. */
const DEFAULT_RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  RATE_LIMITED: 60,
  UNAVAILABLE: RETRY_AFTER_SECONDS,
};

const PROBLEM_JSON = 'application/problem+json';

/** RFC 6750 §3: no error code when no credentials were sent; invalid_request for a header that is not Bearer. */
function bearerChallenge(authorization: string | undefined, message: string): string {
  if (!authorization) return 'Bearer realm="flagline"';
  const error = /^Bearer\s+\S/i.test(authorization) ? 'invalid_token' : 'invalid_request';
  const description = message.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return `Bearer realm="flagline", error="${error}", error_description="${description}"`;
}

/**
 * The one HTTP form of an AppError, whatever threw it: the design's JSON body (or RFC 9457 problem details when the
 * client's Accept prefers them), WWW-Authenticate on a 401 and Retry-After on a 429 or 503.
 */
export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  const status = error.status;
  if (status === 401) c.header('WWW-Authenticate', bearerChallenge(c.req.header('authorization'), error.message));
  const retryAfter = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS[error.code];
  if (retryAfter !== undefined && (status === 429 || status === 503)) {
    c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
  }
  const wanted = accepts(c, { header: 'Accept', supports: ['application/json', PROBLEM_JSON], default: '' });
  if (wanted !== PROBLEM_JSON) return c.json(error.toBody(requestId), status as ContentfulStatusCode);
  const problem: ProblemBody = {
    type: problemType(error.code),
    title: errorTitles[error.code],
    status,
    detail: error.message,
    code: error.code,
    ...(error.details === undefined ? {} : { details: error.details }),
    requestId,
  };
  return c.body(JSON.stringify(problem), status as ContentfulStatusCode, { 'Content-Type': PROBLEM_JSON });
}
