import {
  environmentExportSchema,
  environmentQuerySchema,
  importQuerySchema,
  importResultSchema,
  unleashExportSchema,
} from '@flagline/core';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { changeOrRequest } from '../change-requests/change-request-service';
import type { AppEnv } from '../http/context';
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
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
} from '../http/router';
import {
  environmentImportChange,
  exportEnvironment,
  type ImportChange,
  planImport,
  unleashImportChange,
} from './import-service';

const tags = ['Import and export'];

const importResponses = {
  200: jsonContent(
    importResultSchema,
    'What was imported (or, with dryRun, would be) and what could not be represented.',
  ),
  ...changeRequestAccepted,
  ...commonErrors,
  ...notFoundError,
  ...conflictError,
};

const unleashImportRoute = createRoute({
  method: 'post',
  path: '/import/unleash',
  operationId: 'importUnleash',
  tags,
  summary: "Import flags, rules and segments from Unleash's export",
  description:
    "The body is the JSON of Unleash's `POST /api/admin/features-batch/export`. Its `segments` name segments without " +
    'their constraints: replace them with the items of `GET /api/admin/segments`. Strategies carry no `sortOrder` in ' +
    "Unleash 6's export; add it from the feature's admin API where the variant served depends on the order.",
  security: bearerSecurity,
  request: { query: importQuerySchema, body: jsonBody(unleashExportSchema) },
  responses: importResponses,
});

const exportRoute = createRoute({
  method: 'get',
  path: '/export',
  operationId: 'exportEnvironment',
  tags,
  summary: "Export an environment's flags, targeting, overrides and the segments",
  security: bearerSecurity,
  request: { query: environmentQuerySchema },
  responses: {
    200: jsonContent(environmentExportSchema, 'The environment, as POST /api/admin/import takes it.'),
    ...commonErrors,
    ...notFoundError,
  },
});

const importRoute = createRoute({
  method: 'post',
  path: '/import',
  operationId: 'importEnvironment',
  tags,
  summary: "Import an environment export (e.g. development's into production)",
  description:
    "Creates missing flags and segments and replaces each flag's targeting and overrides in the environment. A flag " +
    'whose type, variants or description differ, or a segment with other contents, is a conflict (409) unless ' +
    '`onExisting=replace`.',
  security: bearerSecurity,
  request: { query: importQuerySchema, body: jsonBody(environmentExportSchema) },
  responses: importResponses,
});

export function importRoutes(deps: AppDeps) {
  const approvals = approvalDeps(deps);
  /**
   * A dry run plans in the environment it names; an import is a guarded write: made at once, or in a protected
   * environment checked, previewed and left for a second admin (202).
   */
  const runImport = async (
    c: Context<AppEnv>,
    query: { environment?: string | undefined; dryRun: boolean },
    change: ImportChange,
  ) => {
    if (query.dryRun) {
      const environment = resolveAdminEnvironment(c, deps.config, query.environment);
      return { applied: await planImport(deps.database.db, environment, change) };
    }
    const environment = resolveWriteEnvironment(c, deps.config, query.environment);
    return changeOrRequest(approvals, changeContext(c), { environment, flagKey: null }, change);
  };
  return createRouter()
    .openapi(unleashImportRoute, async (c) => {
      const query = c.req.valid('query');
      const outcome = await runImport(c, query, unleashImportChange(c.req.valid('json'), query));
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.json(outcome.applied, 200);
    })
    .openapi(exportRoute, async (c) => {
      const environment = resolveAdminEnvironment(c, deps.config, c.req.valid('query').environment);
      return c.json(await exportEnvironment(deps.database.db, environment), 200);
    })
    .openapi(importRoute, async (c) => {
      const query = c.req.valid('query');
      const outcome = await runImport(c, query, environmentImportChange(c.req.valid('json'), query));
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.json(outcome.applied, 200);
    });
}
