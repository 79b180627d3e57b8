import { type AuditPage, auditPageSchema, type FlagHistoryQuery, flagHistoryQuerySchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, gte, isNull, max, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents } from '../db/schema';
import { getFlag } from '../flags/flag-service';
import { type AppDeps, resolveAdminEnvironment } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonContent, notFoundError } from '../http/router';
import { listAuditEvents } from './audit-service';

const historyRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/history',
  operationId: 'getFlagHistory',
  tags: ['Audit'],
  summary: "A flag's history in an environment, newest first",
  description:
    'The audit events of the flag as it exists now (a flag deleted and created again starts a new history): its ' +
    'creation, every edit, override and schedule event in this environment, and the events that concern every ' +
    'environment. Paged like the audit trail.',
  security: bearerSecurity,
  request: {
    params: z.object({ flagKey: z.string().meta({ description: 'Flag key.' }) }),
    query: flagHistoryQuerySchema,
  },
  responses: {
    200: jsonContent(auditPageSchema, 'A page of events, newest first.'),
    ...commonErrors,
    ...notFoundError,
  },
});

/** The flag's events in one environment since its latest creation; 404 when the flag or the environment is unknown. */
export async function flagHistory(
  db: Db,
  flagKey: string,
  query: FlagHistoryQuery & { environment: string },
): Promise<AuditPage> {
  await getFlag(db, flagKey, query.environment);
  const latestCreation = db
    .select({ id: max(auditEvents.id) })
    .from(auditEvents)
    .where(and(eq(auditEvents.flagKey, flagKey), eq(auditEvents.type, 'flag.created')));
  return listAuditEvents(
    db,
    { flagKey, limit: query.limit, cursor: query.cursor },
    and(
      // Events without an environment (creation, deletion) belong to every environment's history.
      or(eq(auditEvents.environment, query.environment), isNull(auditEvents.environment)),
      gte(auditEvents.id, sql`coalesce((${latestCreation}), 0)`),
    ),
  );
}

export function flagHistoryRoutes(deps: AppDeps) {
  const db = deps.database.db;
  return createRouter().openapi(historyRoute, async (c) => {
    const query = c.req.valid('query');
    const environment = resolveAdminEnvironment(c, deps.config, query.environment);
    return c.json(await flagHistory(db, c.req.valid('param').flagKey, { ...query, environment }), 200);
  });
}
