import {
  environmentQuerySchema,
  environmentTargetingPatchSchema,
  flagKeySchema,
  flagTargetingSchema,
  flagTargetingWithConflictsSchema,
  flagVariantsSchema,
  planWriteQuerySchema,
  setVariantsBodySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { changeFlagOrRequest, changeOrRequest } from '../change-requests/change-request-service';
import {
  type AppDeps,
  approvalDeps,
  changeContext,
  resolveAdminEnvironment,
  resolveWriteEnvironment,
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
import { getTargeting } from './targeting-service';

const tags = ['Targeting'];
const flagParams = z.object({ flagKey: z.string().meta({ description: 'Flag key.' }) });
const versionEtag = etagHeader('`"<version>"`: the flag\'s version in this environment; send it back as If-Match.');
const etagOf = (view: { version: number }) => `"${view.version}"`;

function knownShapeOrNotFound(key: string): string {
  if (!flagKeySchema.safeParse(key).success) throw notFound(`Flag "${key}"`);
  return key;
}

const getRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/targeting',
  operationId: 'getFlagTargeting',
  tags,
  summary: "A flag's type, variants and targeting in an environment",
  security: bearerSecurity,
  request: { params: flagParams, query: environmentQuerySchema },
  responses: {
    200: { ...jsonContent(flagTargetingSchema, 'The targeting.'), headers: versionEtag },
    ...commonErrors,
    ...notFoundError,
  },
});

const patchRoute = createRoute({
  method: 'patch',
  path: '/flags/{flagKey}/targeting',
  operationId: 'updateFlagTargeting',
  tags,
  summary: "Change a flag's targeting in an environment",
  description:
    'The fields given replace the current ones. Variants and segments the rules name must exist; a problem answers 400 naming the field (e.g. `rules[2].constraints[0].values`) and changes nothing.',
  security: bearerSecurity,
  request: {
    params: flagParams,
    query: planWriteQuerySchema,
    headers: ifMatchHeaders,
    body: jsonBody(environmentTargetingPatchSchema),
  },
  responses: {
    200: {
      ...jsonContent(
        flagTargetingWithConflictsSchema,
        'The targeting after the change (unchanged when nothing differed).',
      ),
      headers: versionEtag,
    },
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...scheduleConflictError,
    ...preconditionError,
  },
});

const putVariantsRoute = createRoute({
  method: 'put',
  path: '/flags/{flagKey}/variants',
  operationId: 'setFlagVariants',
  tags,
  summary: "Replace a flag's variants",
  description:
    'Values are checked against the flag type. Removing a variant that targeting or an override still serves answers 409 INVALID_STATE with `details.references`: [{ environment, path }]. Variants are shared by every environment: when any is protected, the change is a change request in the first protected one (202).',
  security: bearerSecurity,
  request: { params: flagParams, body: jsonBody(setVariantsBodySchema) },
  responses: {
    200: jsonContent(flagVariantsSchema, 'The variants after the change.'),
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
  },
});

export function targetingRoutes(deps: AppDeps) {
  const approvals = approvalDeps(deps);
  return createRouter()
    .openapi(getRoute, async (c) => {
      const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
      const environment = resolveAdminEnvironment(c, deps.config, c.req.valid('query').environment);
      const view = await getTargeting(deps.database.db, key, environment);
      c.header('ETag', etagOf(view));
      return c.json(view, 200);
    })
    .openapi(patchRoute, async (c) => {
      const expectedVersion = parseIfMatch(c.req.valid('header')['if-match']);
      const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
      const { environment: requested, onConflict } = c.req.valid('query');
      const environment = resolveWriteEnvironment(c, deps.config, requested);
      const outcome = await changeOrRequest(
        { ...approvals, settings: { ...approvals.settings, onConflict } },
        changeContext(c),
        { environment, flagKey: key },
        {
          kind: 'flag.targeting',
          body: c.req.valid('json'),
          ...(expectedVersion === undefined ? {} : { expectedVersion }),
        },
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      const view = outcome.applied;
      c.header('ETag', etagOf(view));
      return c.json(view, 200);
    })
    .openapi(putVariantsRoute, async (c) => {
      const key = knownShapeOrNotFound(c.req.valid('param').flagKey);
      const outcome = await changeFlagOrRequest(approvals, changeContext(c), key, {
        kind: 'flag.variants',
        body: c.req.valid('json'),
      });
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.json(outcome.applied, 200);
    });
}
