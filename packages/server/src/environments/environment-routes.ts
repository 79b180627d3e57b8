import {
  createEnvironmentBodySchema,
  environmentKeySchema,
  environmentListSchema,
  environmentSchema,
  updateEnvironmentBodySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { updateEnvironmentOrRequest } from '../change-requests/change-request-service';
import { type AppDeps, approvalDeps, changeContext, unitOfWork } from '../http/deps';
import {
  bearerSecurity,
  changeRequestAccepted,
  commonErrors,
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
} from '../http/router';
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

const updateEnvironmentRoute = createRoute({
  method: 'patch',
  path: '/environments/{key}',
  operationId: 'updateEnvironment',
  tags,
  summary: 'Rename an environment, or protect it (four-eyes approval of every change)',
  description:
    'Protecting takes effect at once. Turning protection off is itself a change request (202) that another admin approves.',
  security: bearerSecurity,
  request: { params: z.object({ key: environmentKeySchema }), body: jsonBody(updateEnvironmentBodySchema) },
  responses: {
    200: jsonContent(environmentSchema, 'The environment after the change.'),
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
  },
});

export function environmentRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const approvals = approvalDeps(deps);
  return createRouter()
    .openapi(listRoute, async (c) => c.json({ items: await listEnvironments(deps.database.db) }, 200))
    .openapi(createEnvironmentRoute, async (c) =>
      c.json(await createEnvironment(uow, changeContext(c), c.req.valid('json')), 201),
    )
    .openapi(updateEnvironmentRoute, async (c) => {
      const outcome = await updateEnvironmentOrRequest(
        approvals,
        changeContext(c),
        c.req.valid('param').key,
        c.req.valid('json'),
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.json(outcome.applied, 200);
    });
}
