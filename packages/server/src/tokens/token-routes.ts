import { createdTokenSchema, createTokenBodySchema, tokenListSchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, changeContext, unitOfWork } from '../http/deps';
import {
  bearerSecurity,
  commonErrors,
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
} from '../http/router';
import { createToken, listTokens, revokeToken } from './token-service';

const tags = ['Tokens'];

const createTokenRoute = createRoute({
  method: 'post',
  path: '/tokens',
  operationId: 'createToken',
  tags,
  summary: 'Create an API token (the secret is shown once)',
  security: bearerSecurity,
  request: { body: jsonBody(createTokenBodySchema) },
  responses: {
    201: jsonContent(createdTokenSchema, 'Created; keep the secret now.'),
    ...commonErrors,
    ...notFoundError,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/tokens',
  operationId: 'listTokens',
  tags,
  summary: 'List API tokens (never their secrets)',
  security: bearerSecurity,
  responses: { 200: jsonContent(tokenListSchema, 'All tokens, newest first.'), ...commonErrors },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  operationId: 'revokeToken',
  tags,
  summary: 'Revoke an API token',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string() }) },
  description:
    'Revoking the last live admin token answers 409 INVALID_STATE unless FLAGLINE_ADMIN_TOKEN or OIDC sign-in (AUTH_JWKS_URL) gives admins another way in.',
  responses: {
    204: { description: 'Revoked.' },
    ...commonErrors,
    ...conflictError,
    ...notFoundError,
  },
});

export function tokenRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  return createRouter()
    .openapi(createTokenRoute, async (c) => c.json(await createToken(uow, changeContext(c), c.req.valid('json')), 201))
    .openapi(listRoute, async (c) => c.json({ items: await listTokens(deps.database.db) }, 200))
    .openapi(revokeRoute, async (c) => {
      const adminAccessWithoutTokens = Boolean(deps.config.adminToken || deps.config.auth.jwksUrl);
      await revokeToken(uow, changeContext(c), c.req.valid('param').id, { adminAccessWithoutTokens });
      return c.body(null, 204);
    });
}
