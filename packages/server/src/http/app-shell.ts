import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { ChangeHub } from '../delivery/change-hub';
import { clientRoutes } from '../delivery/client-routes';
import { configRoutes } from '../delivery/config-routes';
import { evaluationCors } from '../delivery/evaluation-http';
import { ofrepErrorShape, ofrepRoutes } from '../delivery/ofrep-routes';
import type { CredentialVerifier, DeliveryDeps } from '../delivery/snapshot-source';
import { type RevocationCheck, StreamRegistry } from '../delivery/stream-registry';
import { AppError, isDatabaseUnavailable, isOutOfResources } from '../shared/errors';
import { recordRequest } from './access-log';
import { clientAddress } from './client-address';
import type { AppEnv, Principal } from './context';
import { errorResponse } from './error-response';
import { requestId } from './request-id';
import { documentationSecurityHeaders, securityHeaders } from './security-headers';

/*
 * What `flagline serve` and `flagline relay` share: the request pipeline (ids, security headers, access log, body
 * limits, CORS, authentication, JSON parsing, the error shape) and the delivery routes. The server adds the admin API
 * and its database's health; the relay adds its upstream's.
 */

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_IMPORT_BODY_BYTES = 16 * 1024 * 1024;

export const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** JSON for programs, never rendered by a browser: no page security headers there. */
const API_PATHS = /^\/(api|ofrep)\//;

/** Deciding a change request: what an approver (AUTH_APPROVER_GROUPS) may do besides reading. */
const CHANGE_REQUEST_DECISION = /^\/api\/admin\/change-requests\/[^/]+\/(approve|reject)$/;

/**
 * Admin routes: admins do anything, viewers only read (approvers also decide change requests), server (client) and
 * frontend tokens nothing.
 */
export function authorizeAdmin(principal: Principal, method: string, path: string): void {
  if (principal.role === 'admin') return;
  if (principal.role === 'viewer' && READ_METHODS.has(method)) return;
  if (principal.role === 'viewer' && principal.approver && method === 'POST' && CHANGE_REQUEST_DECISION.test(path)) {
    return;
  }
  throw new AppError(
    'FORBIDDEN',
    principal.role === 'viewer' ? 'Viewers can only read.' : `${principal.role} tokens can only evaluate flags.`,
  );
}

/** What a frontend token may call under /api/config: evaluated values, change notices and who it is. */
const FRONTEND_CONFIG_PATHS = new Set(['/api/config/flags', '/api/config/stream', '/api/config/principal']);

const FRONTEND_ONLY_EVALUATES =
  'Frontend tokens receive evaluated values only: use POST /ofrep/v1/evaluate/flags (or /flags/{key}), GET /api/config/flags and the change notices of GET /api/config/stream; the ruleset, its stream and flag configuration need a server token.';

/** The ruleset and its stream carry rules and override lists: never for a frontend token. */
function authorizeRuleset(principal: Principal): void {
  if (principal.role === 'frontend') throw new AppError('FORBIDDEN', FRONTEND_ONLY_EVALUATES);
}

/** Under /api/config a frontend token gets evaluated values (GET /api/config/flags), not a flag's configuration. */
function authorizeConfig(principal: Principal, _method: string, path: string): void {
  if (principal.role === 'frontend' && !FRONTEND_CONFIG_PATHS.has(path)) {
    throw new AppError('FORBIDDEN', FRONTEND_ONLY_EVALUATES);
  }
}

/** OFREP clients may send the token as X-API-Key (OFREP's ApiKeyAuth) instead of Authorization: Bearer. */
function ofrepCredentials(c: Context<AppEnv>): string | undefined {
  const authorization = c.req.header('authorization');
  if (authorization !== undefined) return authorization;
  const apiKey = c.req.header('x-api-key')?.trim();
  return apiKey ? `Bearer ${apiKey}` : undefined;
}

const NUL_REASON = 'must not contain the character U+0000';
const SURROGATE_REASON = 'must not contain an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair)';

const unstorableTextError = (location: string, field: string, reason = NUL_REASON) =>
  new AppError('VALIDATION_FAILED', `Invalid ${location}: ${field}: ${reason}.`, {
    location,
    fields: { [field]: reason },
  });

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a value carrying it would fail in the database (a 500); it is
 * refused up front instead, for every route. `%00` is the only way a URL can carry it.
 */
function rejectNulInUrl(url: string): void {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (/%00/i.test(path)) throw unstorableTextError('path', '(path)');
  if (queryStart === -1 || !/%00/i.test(url.slice(queryStart))) return;
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (!/%00/i.test(pair)) continue;
    const name = pair.split('=')[0] ?? '';
    throw unstorableTextError('query', /%00/i.test(name) ? '(query)' : safeDecode(name));
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** With the u flag a well-formed pair reads as one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Why PostgreSQL could not store this text (it has no U+0000, and jsonb refuses a lone surrogate escape). */
function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_REASON;
  if (LONE_SURROGATE.test(text)) return SURROGATE_REASON;
  return undefined;
}

/**
 * The path of the first string (key or value) PostgreSQL could not store, and why; iterative, so deeply nested bodies
 * cannot overflow the stack.
 */
function findUnstorableText(root: unknown): { path: string; reason: string } | undefined {
  const stack: [unknown, string][] = [[root, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      const reason = unstorableReason(value);
      if (reason) return { path: path || '(root)', reason };
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const itemPath = path ? `${path}.${key}` : key;
        const reason = unstorableReason(key);
        if (reason) return { path: itemPath, reason };
        stack.push([item, itemPath]);
      }
    }
  }
  return undefined;
}

/** Every failure, whatever threw it, leaves as the design's error shape; only unexpected ones are logged as errors. */
function toErrorResponse(error: Error, c: Context<AppEnv>, deps: { logger: Logger }): Response {
  const id = c.get('requestId') ?? 'unknown';
  let appError: AppError;
  if (error instanceof AppError) {
    appError = error;
  } else if (error instanceof HTTPException) {
    appError =
      error.status === 413
        ? new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
        : error.status === 415
          ? new AppError('VALIDATION_FAILED', 'The request body must be JSON (Content-Type: application/json).', {
              location: 'header',
              fields: { 'Content-Type': 'must be application/json' },
            })
          : error.status === 400 && /json/i.test(error.message)
            ? new AppError('INVALID_JSON', 'The request body is not valid JSON.')
            : error.status === 400
              ? new AppError('VALIDATION_FAILED', error.message || 'The request is not valid.')
              : new AppError('INTERNAL', error.message || 'Something went wrong.');
  } else if (isDatabaseUnavailable(error)) {
    deps.logger.error({ err: error, requestId: id }, 'database unavailable');
    appError = isOutOfResources(error)
      ? new AppError(
          'UNAVAILABLE',
          'The database is out of resources (disk space, memory or connections); try again later.',
        )
      : new AppError('UNAVAILABLE', 'The database is unavailable; try again shortly.');
  } else {
    deps.logger.error({ err: error, requestId: id, path: c.req.path }, 'unhandled error');
    appError = new AppError('INTERNAL', 'Something went wrong; the error has been logged with this request id.');
  }
  return errorResponse(c, appError);
}

export interface ShellDeps {
  logger: Logger;
  authenticator: CredentialVerifier;
}

/** An app with the shared request pipeline in place; mount routes on it, then call finishApp. */
export function createAppShell(
  deps: ShellDeps,
  /** Whether this app serves the admin API (the server does; a relay does not). */
  options: { admin: boolean },
): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const authenticate = (
    authorize?: (principal: Principal, method: string, path: string) => void,
    credentials: (c: Context<AppEnv>) => string | undefined = (c) => c.req.header('authorization'),
  ) =>
    createMiddleware<AppEnv>(async (c, next) => {
      const principal = await deps.authenticator.authenticate(credentials(c), clientAddress(c));
      authorize?.(principal, c.req.method, c.req.path);
      c.set('principal', principal);
      await next();
    });

  app.use(requestId);
  app.use((c, next) => (API_PATHS.test(c.req.path) ? next() : securityHeaders(c, next)));
  app.use('/docs', documentationSecurityHeaders);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // routePath is the matched route's pattern, so label cardinality stays bounded.
    recordRequest(deps.logger, {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      started,
      requestId: c.get('requestId'),
    });
  });
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    },
  });
  // An export of a whole Unleash instance or Flagline environment runs to megabytes; nothing else does.
  const limitImportBody = bodyLimit({
    maxSize: MAX_IMPORT_BODY_BYTES,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `An import body is larger than ${MAX_IMPORT_BODY_BYTES} bytes.`);
    },
  });
  // Reading `body` makes the Node adapter build a full Request; reads have no body, so skip it on the hot path.
  app.use((c, next) =>
    READ_METHODS.has(c.req.method)
      ? next()
      : c.req.path.startsWith('/api/admin/import')
        ? limitImportBody(c, next)
        : limitBody(c, next),
  );
  app.use('/api/config/*', evaluationCors);
  app.use('/api/client/*', evaluationCors);
  app.use('/ofrep/*', evaluationCors);
  if (options.admin) app.use('/api/admin/*', authenticate(authorizeAdmin));
  app.use('/api/config/*', authenticate(authorizeConfig));
  app.use('/api/client/*', authenticate(authorizeRuleset));
  app.use('/ofrep/*', authenticate(undefined, ofrepCredentials));
  app.use('/ofrep/*', ofrepErrorShape);
  // Parse JSON bodies once, up front, so malformed JSON is INVALID_JSON rather than a validation message.
  const parseJsonOnce = createMiddleware<AppEnv>(async (c, next) => {
    rejectNulInUrl(c.req.url);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && /json/i.test(c.req.header('content-type') ?? '')) {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new AppError('INVALID_JSON', 'The request body is not valid JSON.');
      }
      const unstorable = findUnstorableText(body);
      if (unstorable) throw unstorableTextError('body', unstorable.path, unstorable.reason);
    }
    await next();
  });

  app.use('/api/*', parseJsonOnce);
  app.use('/ofrep/*', parseJsonOnce);

  return app;
}

/** The evaluation routes, the ruleset, OFREP and both streams, on the snapshot source the deps carry. */
export function mountDelivery(
  app: OpenAPIHono<AppEnv>,
  deps: DeliveryDeps & { logger: Logger },
  revoked: RevocationCheck,
  /** Also check open streams' credentials this often (see StreamRegistry). */
  recheckMs?: number,
) {
  const hub = new ChangeHub(deps.snapshot);
  const streams = new StreamRegistry(revoked, deps.snapshot, deps.config.streams, deps.logger, Date.now, recheckMs);
  app.route('/api/config', configRoutes(deps, hub, streams));
  app.route('/api/client', clientRoutes(deps, hub, streams));
  app.route('/ofrep/v1', ofrepRoutes(deps));
  return { hub, streams };
}

/** The 404 and the error shape, last. */
export function finishApp(app: OpenAPIHono<AppEnv>, deps: { logger: Logger }): void {
  app.notFound((c) => errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => toErrorResponse(error, c, deps));
}
