import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { auditRoutes } from './audit/audit-routes';
import { flagHistoryRoutes } from './audit/flag-history';
import { meRoutes } from './auth/me-routes';
import { readBacklog } from './background/backlog';
import { checkDatabase, DATABASE_CHECK_TIMEOUT_MS, withTimeout } from './db/health';
import { ChangeHub } from './delivery/change-hub';
import { clientRoutes } from './delivery/client-routes';
import { configRoutes } from './delivery/config-routes';
import { evaluationCors } from './delivery/evaluation-http';
import { ofrepErrorShape, ofrepRoutes } from './delivery/ofrep-routes';
import { StreamRegistry } from './delivery/stream-registry';
import { environmentRoutes } from './environments/environment-routes';
import { flagRoutes } from './flags/flag-routes';
import { targetingRoutes } from './flags/targeting-routes';
import { recordRequest } from './http/access-log';
import { mountApiDocs } from './http/api-docs';
import { clientAddress } from './http/client-address';
import type { AppEnv, Principal } from './http/context';
import type { AppDeps } from './http/deps';
import { errorResponse } from './http/error-response';
import { requireMetricsToken } from './http/metrics-token';
import { openApiDocument } from './http/openapi';
import { requestId } from './http/request-id';
import { documentationSecurityHeaders, securityHeaders } from './http/security-headers';
import { mountWebUi } from './http/web-ui';
import { importRoutes } from './import/import-routes';
import { overrideRoutes } from './overrides/override-routes';
import { scheduleRoutes } from './schedules/schedule-routes';
import { segmentRoutes } from './segments/segment-routes';
import { AppError, isDatabaseUnavailable, isOutOfResources } from './shared/errors';
import { observeDatabase, observeSnapshot, registry } from './shared/metrics';
import { tokenRoutes } from './tokens/token-routes';
import { VERSION } from './version';
import { webhookRoutes } from './webhooks/webhook-routes';

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_IMPORT_BODY_BYTES = 16 * 1024 * 1024;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** JSON for programs, never rendered by a browser: no page security headers there. */
const API_PATHS = /^\/(api|ofrep)\//;

/** Admin routes: admins do anything, viewers only read, server (client) and frontend tokens nothing. */
function authorizeAdmin(principal: Principal, method: string): void {
  if (principal.role === 'admin') return;
  if (principal.role === 'viewer' && READ_METHODS.has(method)) return;
  throw new AppError(
    'FORBIDDEN',
    principal.role === 'viewer' ? 'Viewers can only read.' : `${principal.role} tokens can only evaluate flags.`,
  );
}

const FRONTEND_ONLY_EVALUATES =
  'Frontend tokens receive evaluated values only: use POST /ofrep/v1/evaluate/flags (or /flags/{key}), GET /api/config/flags and the change notices of GET /api/config/stream; the ruleset, its stream and flag configuration need a server token.';

/** The ruleset and its stream carry rules and override lists: never for a frontend token. */
function authorizeRuleset(principal: Principal): void {
  if (principal.role === 'frontend') throw new AppError('FORBIDDEN', FRONTEND_ONLY_EVALUATES);
}

/** Under /api/config a frontend token gets evaluated values (GET /api/config/flags), not a flag's configuration. */
function authorizeConfig(principal: Principal, _method: string, path: string): void {
  if (principal.role === 'frontend' && path !== '/api/config/flags' && path !== '/api/config/stream') {
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
function toErrorResponse(error: Error, c: Context<AppEnv>, deps: AppDeps): Response {
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

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
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
  app.use('/api/admin/*', authenticate(authorizeAdmin));
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

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));
  // Ready means evaluation can be served, which it is from memory once the snapshot has loaded, database outage or
  // not: taking the instance out of rotation then would stop evaluation for nothing. The database's own state is in
  // ?verbose and in flagline_database_up.
  app.get('/readyz', async (c) => {
    const verbose = c.req.query('verbose') !== undefined;
    const database = verbose ? await checkDatabase(deps.database.db) : undefined;
    if (database?.error !== undefined)
      deps.logger.warn({ error: database.error }, 'readiness: the database check failed');
    const checks = database && {
      database: {
        kind: deps.database.kind,
        status: database.up ? 'up' : 'down',
        latencyMs: Math.round(database.latencyMs * 10) / 10,
        ...(database.reason === undefined ? {} : { reason: database.reason }),
      },
      snapshot: deps.snapshot.ready
        ? {
            status: 'loaded',
            version: deps.snapshot.current.version,
            ageSeconds: (Date.now() - deps.snapshot.checkedAt.getTime()) / 1000,
          }
        : { status: 'loading' },
    };
    if (!deps.snapshot.ready) {
      throw new AppError('UNAVAILABLE', 'The flag snapshot has not loaded yet.', checks && { checks });
    }
    const ready = { status: 'ready', database: deps.database.kind, configVersion: deps.snapshot.current.version };
    return c.json(checks ? { ...ready, checks } : ready);
  });

  app.get('/metrics', requireMetricsToken(deps.config.metricsToken), async (c) => {
    c.header('content-type', registry.contentType);
    return c.body(await registry.metrics());
  });

  const hub = new ChangeHub(deps.snapshot);
  observeDatabase({
    check: () => checkDatabase(deps.database.db),
    backlog: () => withTimeout(readBacklog(deps.database.db), DATABASE_CHECK_TIMEOUT_MS, 'the backlog counts'),
  });
  observeSnapshot(() =>
    deps.snapshot.ready ? { version: deps.snapshot.current.version, checkedAt: deps.snapshot.checkedAt } : undefined,
  );
  const streams = new StreamRegistry(deps.database.db, deps.snapshot, deps.config.streams, deps.logger);
  app.route('/api/config', configRoutes(deps, hub, streams));
  app.route('/api/client', clientRoutes(deps, hub, streams));
  app.route('/ofrep/v1', ofrepRoutes(deps));
  app.route('/api/admin', meRoutes());
  app.route('/api/admin', flagRoutes(deps));
  app.route('/api/admin', targetingRoutes(deps));
  app.route('/api/admin', segmentRoutes(deps));
  app.route('/api/admin', overrideRoutes(deps));
  app.route('/api/admin', environmentRoutes(deps));
  app.route('/api/admin', tokenRoutes(deps));
  app.route('/api/admin', auditRoutes(deps));
  app.route('/api/admin', flagHistoryRoutes(deps));
  app.route('/api/admin', scheduleRoutes(deps));
  app.route('/api/admin', webhookRoutes(deps));
  app.route('/api/admin', importRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (fl_…), FLAGLINE_ADMIN_TOKEN, or an OIDC access token when AUTH_JWKS_URL is set.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'OFREP routes only: the same API token, as OFREP providers send it.',
  });
  const document = openApiDocument(app, VERSION);
  app.get('/openapi.json', (c) => c.json(document()));
  mountApiDocs(app);

  if (!mountWebUi(app)) {
    app.get('/', (c) =>
      c.html(
        '<!doctype html><title>Flagline</title><p>Flagline is running. The admin UI is not built: run <code>npm install</code> (or <code>npm run build -w @flagline/web</code>). API reference: <a href="/docs">/docs</a>.</p>',
      ),
    );
  }

  app.notFound((c) => errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => toErrorResponse(error, c, deps));
  return app;
}
