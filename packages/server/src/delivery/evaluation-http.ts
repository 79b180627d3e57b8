import type { RouteConfig, RouteConfigToTypedResponse } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Principal } from '../http/context';
import { addEvaluationHeaders, countEvaluations, type EvaluationResponse } from './evaluation-responses';

const EXPOSED_HEADERS = ['ETag', 'X-Request-Id'];

/**
 * A fresh header object holding what every evaluation answer that is not a preflight carries, errors included:
 * browser apps on other origins evaluate flags with a bearer token (no cookies), so any origin may call these routes.
 */
export const evaluationCorsHeaders = (): Record<string, string> => ({
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag,X-Request-Id',
});
const CORS_HEADERS = Object.entries(evaluationCorsHeaders());

/**
 * A preflight carries no token, so it cannot know which origins the token will allow: it is answered for any origin,
 * and the actual response decides (a frontend token's answer carries Access-Control-Allow-Origin only for its own
 * allowed origins, so a browser on any other origin never gets to read it).
 */
const preflight = cors({
  origin: '*',
  allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID', 'X-API-Key'],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 600,
});

/** Whether a frontend token lets a browser on `origin` read its answers. */
export function originAllowed(principal: Principal, origin: string | undefined): boolean {
  const allowed = principal.allowedOrigins ?? [];
  return allowed.includes('*') || (origin !== undefined && allowed.includes(origin));
}

/** CORS for /api/config, /api/client and /ofrep. */
export const evaluationCors = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === 'OPTIONS') return preflight(c, next);
  // The same headers cors() sets, but prepared rather than set on c.res: cors() reads c.res before the handler,
  // which makes Hono re-wrap the handler's response (its body becomes a stream to be read back) — measured at about
  // a quarter of an evaluation request's CPU, and most of its garbage.
  for (const [name, value] of CORS_HEADERS) c.header(name, value);
  await next();
  const principal = c.get('principal') as Principal | undefined;
  if (principal?.role !== 'frontend') return;
  // A frontend token answers only the origins it was made for, named rather than `*`.
  const origin = c.req.header('origin');
  c.res.headers.append('vary', 'Origin');
  if (origin !== undefined && originAllowed(principal, origin)) {
    c.res.headers.set('access-control-allow-origin', origin);
  } else {
    c.res.headers.delete('access-control-allow-origin');
  }
});

/**
 * An evaluation response as the Hono route's answer. The body is JSON already serialised from the snapshot, so the
 * route's typed contract is asserted here, once, rather than rebuilt as objects per request.
 */
export function respond<R extends RouteConfig>(
  c: Context<AppEnv>,
  response: EvaluationResponse,
): RouteConfigToTypedResponse<R> {
  countEvaluations(response);
  const headers = addEvaluationHeaders(response, {});
  const answer =
    response.status === 304 || response.body === undefined
      ? c.body(null, response.status, headers)
      : c.body(response.body, response.status, headers);
  return answer as unknown as RouteConfigToTypedResponse<R>;
}
