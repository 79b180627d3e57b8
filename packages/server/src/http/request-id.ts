import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context';

/**
 * A client's X-Request-Id is kept (it ties a change in the audit trail to the caller's own logs) only when it is
 * plainly an identifier: letters, digits and `_ . : -`, at most 128 characters, starting with a letter or digit so no
 * spreadsheet or log viewer can take it for a formula or an option. Anything else is replaced by a fresh UUID.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9][\w.:-]{0,127}$/;

export function acceptedRequestId(sent: string | undefined): string {
  return sent !== undefined && ACCEPTED_REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** Sets `requestId` for the handlers and echoes it in X-Request-Id. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = acceptedRequestId(c.req.header('x-request-id'));
  c.set('requestId', id);
  c.header('X-Request-Id', id);
  await next();
});
