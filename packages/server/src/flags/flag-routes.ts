import {
  createFlagBodySchema,
  environmentQuerySchema,
  flagKeySchema,
  flagPageSchema,
  flagViewSchema,
  flagViewWithConflictsSchema,
  listFlagsQuerySchema,
  planWriteQuerySchema,
  updateFlagBodySchema,
} from '@flagline/core';
import { createRoute, type RouteHandler, z } from '@hono/zod-openapi';
import { changeFlagOrRequest, changeOrRequest } from '../change-requests/change-request-service';
import type { AppEnv } from '../http/context';
import {
  type AppDeps,
  approvalDeps,
  changeContext,
  resolveAdminEnvironment,
  resolveWriteEnvironment,
  unitOfWork,
} from '../http/deps';
import { ifMatchHeaders, parseIfMatch } from '../http/if-match';
import { etagHeader } from '../http/openapi';
import {
  bearerSecurity,
  changeRequestAccepted,
  commonErrors,
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
  preconditionError,
  scheduleConflictError,
} from '../http/router';
import { notFound } from '../shared/errors';
import { createFlag, getFlag, listFlags } from './flag-service';

const flagParams = z.object({ flagKey: z.string().meta({ description: 'Flag key.' }) });

const tags = ['Flags'];

/** The flag's version in the environment as an entity tag: what If-Match on PATCH accepts. */
const versionEtag = etagHeader('`"<version>"`: the flag\'s version in this environment; send it back as If-Match.');
const etagOf = (view: { version: number }) => `"${view.version}"`;

const listRoute = createRoute({
  method: 'get',
  path: '/flags',
  operationId: 'listFlags',
  tags,
  summary: 'List flags in an environment',
  security: bearerSecurity,
  request: { query: listFlagsQuerySchema },
  responses: {
    200: jsonContent(flagPageSchema, 'A page of flags, ordered by key.'),
    ...commonErrors,
    ...notFoundError,
  },
});

const createFlagRoute = createRoute({
  method: 'post',
  path: '/flags',
  operationId: 'createFlag',
  tags,
  summary: 'Create a flag (disabled, 0% in every environment)',
  security: bearerSecurity,
  request: { query: environmentQuerySchema, body: jsonBody(createFlagBodySchema) },
  responses: {
    201: jsonContent(flagViewSchema, 'The new flag, as seen in the requested environment.'),
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}',
  operationId: 'getFlag',
  tags,
  summary: 'Get a flag in an environment',
  security: bearerSecurity,
  request: { params: flagParams, query: environmentQuerySchema },
  responses: {
    200: { ...jsonContent(flagViewSchema, 'The flag.'), headers: versionEtag },
    ...commonErrors,
    ...notFoundError,
  },
});

const updateRequest = {
  params: flagParams,
  query: planWriteQuerySchema,
  headers: ifMatchHeaders,
  body: jsonBody(updateFlagBodySchema),
};
const updateResponses = {
  200: {
    ...jsonContent(flagViewWithConflictsSchema, 'The flag after the change (unchanged when nothing differed).'),
    headers: versionEtag,
  },
  ...changeRequestAccepted,
  ...commonErrors,
  ...notFoundError,
  ...scheduleConflictError,
  ...preconditionError,
};

const patchRoute = createRoute({
  method: 'patch',
  path: '/flags/{flagKey}',
  operationId: 'updateFlag',
  tags,
  summary: 'Change a flag in an environment',
  security: bearerSecurity,
  request: updateRequest,
  responses: updateResponses,
});

// The origin updated flags with POST; kept so its clients keep working.
const postUpdateRoute = createRoute({ ...patchRoute, method: 'post', operationId: 'updateFlagByPost' });

const deleteRoute = createRoute({
  method: 'delete',
  path: '/flags/{flagKey}',
  operationId: 'deleteFlag',
  tags,
  summary: 'Delete a flag in every environment',
  security: bearerSecurity,
  request: { params: flagParams },
  description:
    'When any environment is protected, the deletion is a change request in the first protected one (202), made when a second admin approves it.',
  responses: { 204: { description: 'Deleted.' }, ...changeRequestAccepted, ...commonErrors, ...notFoundError },
});

/** Flag keys in paths that could never exist are 404s, not validation errors: the resource is simply not there. */
function knownShapeOrNotFound(key: string): string {
  if (!flagKeySchema.safeParse(key).success) throw notFound(`Flag "${key}"`);
  return key;
}

export function flagRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const approvals = approvalDeps(deps);
  const db = deps.database.db;
  const update: RouteHandler<typeof patchRoute, AppEnv> = async (c) => {
    const expectedVersion = parseIfMatch(c.req.valid('header')['if-match']);
    const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
    const { environment: requested, onConflict } = c.req.valid('query');
    const environment = resolveWriteEnvironment(c, deps.config, requested);
    const outcome = await changeOrRequest(
      { ...approvals, settings: { ...approvals.settings, onConflict } },
      changeContext(c),
      { environment, flagKey: key },
      { kind: 'flag.update', body: c.req.valid('json'), ...(expectedVersion === undefined ? {} : { expectedVersion }) },
    );
    if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
    const view = outcome.applied;
    c.header('ETag', etagOf(view));
    return c.json(view, 200);
  };
  return createRouter()
    .openapi(listRoute, async (c) => {
      const query = c.req.valid('query');
      return c.json(
        await listFlags(db, { ...query, environment: resolveAdminEnvironment(c, deps.config, query.environment) }),
        200,
      );
    })
    .openapi(createFlagRoute, async (c) => {
      // A new flag gets a state in every environment; the query only picks the one the response shows.
      const environment = resolveAdminEnvironment(c, deps.config, c.req.valid('query').environment);
      return c.json(await createFlag(uow, changeContext(c), c.req.valid('json'), environment), 201);
    })
    .openapi(getRoute, async (c) => {
      const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
      const view = await getFlag(db, key, resolveAdminEnvironment(c, deps.config, c.req.valid('query').environment));
      c.header('ETag', etagOf(view));
      return c.json(view, 200);
    })
    .openapi(patchRoute, update)
    .openapi(postUpdateRoute, update)
    .openapi(deleteRoute, async (c) => {
      const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
      const outcome = await changeFlagOrRequest(approvals, changeContext(c), key, { kind: 'flag.delete' });
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.body(null, 204);
    });
}
