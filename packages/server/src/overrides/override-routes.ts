import {
  environmentQuerySchema,
  listOverridesQuerySchema,
  overrideListSchema,
  overrideSchema,
  setOverrideBodySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { changeOrRequest } from '../change-requests/change-request-service';
import {
  type AppDeps,
  approvalDeps,
  changeContext,
  resolveAdminEnvironment,
  resolveWriteEnvironment,
} from '../http/deps';
import {
  bearerSecurity,
  changeRequestAccepted,
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
  rateLimitedError,
} from '../http/router';
import { listOverrides } from './override-service';

const tags = ['Overrides'];
const flagParams = z.object({ flagKey: z.string() });

const setRoute = createRoute({
  method: 'post',
  path: '/flags/{flagKey}/users',
  operationId: 'setOverride',
  tags,
  summary: "Set a user's override (include or exclude) on a flag",
  security: bearerSecurity,
  request: { params: flagParams, query: environmentQuerySchema, body: jsonBody(setOverrideBodySchema) },
  responses: {
    201: jsonContent(overrideSchema, 'Created.'),
    200: jsonContent(overrideSchema, 'The user already had an override; it now has this one.'),
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...rateLimitedError,
  },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/flags/{flagKey}/users/{userId}',
  operationId: 'removeOverride',
  tags,
  summary: "Remove a user's override",
  security: bearerSecurity,
  request: { params: flagParams.extend({ userId: z.string() }), query: environmentQuerySchema },
  responses: {
    204: { description: 'Removed.' },
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...rateLimitedError,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/users',
  operationId: 'listOverrides',
  tags,
  summary: "List a flag's overrides, paginated",
  security: bearerSecurity,
  request: { params: flagParams, query: listOverridesQuerySchema },
  responses: { 200: jsonContent(overrideListSchema, 'One page of overrides.'), ...commonErrors, ...notFoundError },
});

export function overrideRoutes(deps: AppDeps) {
  const approvals = approvalDeps(deps);
  return createRouter()
    .openapi(setRoute, async (c) => {
      const environment = resolveWriteEnvironment(c, deps.config, c.req.valid('query').environment);
      const outcome = await changeOrRequest(
        approvals,
        changeContext(c),
        { environment, flagKey: c.req.valid('param').flagKey },
        { kind: 'override.set', body: c.req.valid('json') },
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      const { override, created } = outcome.applied;
      return created ? c.json(override, 201) : c.json(override, 200);
    })
    .openapi(removeRoute, async (c) => {
      const { flagKey, userId } = c.req.valid('param');
      const environment = resolveWriteEnvironment(c, deps.config, c.req.valid('query').environment);
      const outcome = await changeOrRequest(
        approvals,
        changeContext(c),
        { environment, flagKey },
        { kind: 'override.remove', userId },
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.body(null, 204);
    })
    .openapi(listRoute, async (c) => {
      const query = c.req.valid('query');
      const list = await listOverrides(deps.database.db, {
        flagKey: c.req.valid('param').flagKey,
        environment: resolveAdminEnvironment(c, deps.config, query.environment),
        page: query.page,
        pageSize: query.pageSize,
      });
      return c.json(list, 200);
    });
}
