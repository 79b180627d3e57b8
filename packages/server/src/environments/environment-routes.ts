import { createEnvironmentBodySchema, environmentListSchema, environmentSchema } from '@flagline/core';
import { createRoute } from '@hono/zod-openapi';
import { type AppDeps, changeContext, unitOfWork } from '../http/deps';
import { bearerSecurity, commonErrors, conflictError, createRouter, jsonBody, jsonContent } from '../http/router';
import { createEnvironment, listEnvironments } from './environment-service';

const tags = ['Environments'];

const listRoute = createRoute({
  method: 'get',
  path: '/environments',
  operationId: 'listEnvironments',
  tags,
  summary: 'List environments',
  security: bearerSecurity,
  responses: { 200: jsonContent(environmentListSchema, 'All environments.'), ...commonErrors },
});

const createEnvironmentRoute = createRoute({
  method: 'post',
  path: '/environments',
  operationId: 'createEnvironment',
  tags,
  summary: 'Create an environment',
  security: bearerSecurity,
  request: { body: jsonBody(createEnvironmentBodySchema) },
  responses: { 201: jsonContent(environmentSchema, 'Created.'), ...commonErrors, ...conflictError },
});

export function environmentRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  return createRouter()
    .openapi(listRoute, async (c) => c.json({ items: await listEnvironments(deps.database.db) }, 200))
    .openapi(createEnvironmentRoute, async (c) =>
      c.json(await createEnvironment(uow, changeContext(c), c.req.valid('json')), 201),
    );
}
