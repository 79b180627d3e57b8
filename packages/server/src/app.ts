import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import { sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { auditRoutes } from './audit/audit-routes';
import { configRoutes } from './delivery/config-routes';
import { environmentRoutes } from './environments/environment-routes';
import { flagRoutes } from './flags/flag-routes';
import type { AppEnv, Principal } from './http/context';
import type { AppDeps } from './http/deps';
import { AppError, sqlState } from './http/errors';
import { overrideRoutes } from './overrides/override-routes';
import { tokenRoutes } from './tokens/token-routes';

export const MAX_BODY_BYTES = 64 * 1024;
export const VERSION = '0.1.0';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Admin routes: admins do anything, viewers only read, client tokens nothing. */
function authorizeAdmin(principal: Principal, method: string): void {
  if (principal.role === 'admin') return;
  if (principal.role === 'viewer' && READ_METHODS.has(method)) return;
  throw new AppError(
    'FORBIDDEN',
    principal.role === 'client' ? 'Client tokens can only evaluate flags.' : 'Viewers can only read.',
  );
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
        : error.status === 400 && /json/i.test(error.message)
          ? new AppError('INVALID_JSON', 'The request body is not valid JSON.')
          : error.status === 400
            ? new AppError('VALIDATION_FAILED', error.message || 'The request is not valid.')
            : new AppError('INTERNAL', error.message || 'Something went wrong.');
  } else if (/^08|^57P/.test(sqlState(error) ?? '') || /ECONNREFUSED|ECONNRESET/.test(String(error))) {
    deps.logger.error({ err: error, requestId: id }, 'database unavailable');
    appError = new AppError('UNAVAILABLE', 'The database is unavailable; try again shortly.');
  } else {
    deps.logger.error({ err: error, requestId: id, path: c.req.path }, 'unhandled error');
    appError = new AppError('INTERNAL', 'Something went wrong; the error has been logged with this request id.');
  }
  return c.json(appError.toBody(id), appError.status as ContentfulStatusCode);
}

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const authenticate = (authorize?: (principal: Principal, method: string) => void) =>
    createMiddleware<AppEnv>(async (c, next) => {
      const principal = await deps.authenticator.authenticate(c.req.header('authorization'));
      authorize?.(principal, c.req.method);
      c.set('principal', principal);
      await next();
    });

  app.use(requestId());
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );
  app.use('/api/admin/*', authenticate(authorizeAdmin));
  app.use('/api/config/*', authenticate());
  // Parse JSON bodies once, up front, so malformed JSON is INVALID_JSON rather than a validation message.
  app.use('/api/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && /json/i.test(c.req.header('content-type') ?? '')) {
      try {
        await c.req.json();
      } catch {
        throw new AppError('INVALID_JSON', 'The request body is not valid JSON.');
      }
    }
    await next();
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));
  app.get('/readyz', async (c) => {
    try {
      await deps.database.db.execute(sql`select 1`);
    } catch {
      throw new AppError('UNAVAILABLE', 'The database is not reachable.');
    }
    if (!deps.snapshot.ready) throw new AppError('UNAVAILABLE', 'The flag snapshot has not loaded yet.');
    const snapshot = deps.snapshot.current;
    return c.json({ status: 'ready', database: deps.database.kind, configVersion: snapshot.version });
  });

  app.route('/api/config', configRoutes(deps));
  app.route('/api/admin', flagRoutes(deps));
  app.route('/api/admin', overrideRoutes(deps));
  app.route('/api/admin', environmentRoutes(deps));
  app.route('/api/admin', tokenRoutes(deps));
  app.route('/api/admin', auditRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (fl_…), FLAGLINE_ADMIN_TOKEN, or an OIDC access token when AUTH_JWKS_URL is set.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Flagline API',
      version: VERSION,
      description: 'Feature flags with scheduled changes and a tamper-evident audit trail.',
    },
  });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Flagline API' }));

  app.notFound((c) => {
    const id = c.get('requestId') ?? 'unknown';
    return c.json(new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`).toBody(id), 404);
  });
  app.onError((error, c) => toErrorResponse(error, c, deps));
  return app;
}
