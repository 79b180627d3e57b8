import { auditEventSchema, auditPageSchema, listAuditQuerySchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonContent, notFoundError } from '../http/router';
import { getAuditEvent, listAuditEvents, verifyAuditChain } from './audit-service';

const tags = ['Audit'];

const listRoute = createRoute({
  method: 'get',
  path: '/audit',
  tags,
  summary: 'Query the audit trail, newest first',
  security: bearerSecurity,
  request: { query: listAuditQuerySchema },
  responses: { 200: jsonContent(auditPageSchema, 'A page of events.'), ...commonErrors },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/audit/verify',
  tags,
  summary: "Verify the audit trail's hash chain",
  security: bearerSecurity,
  responses: {
    200: jsonContent(
      z
        .object({ ok: z.boolean(), checked: z.number().int(), firstBrokenId: z.string().nullable() })
        .meta({ id: 'AuditVerification' }),
      'Whether every event still hashes to its stored hash.',
    ),
    ...commonErrors,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/audit/{id}',
  tags,
  summary: 'Get one audit event',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonContent(auditEventSchema, 'The event.'), ...commonErrors, ...notFoundError },
});

export function auditRoutes(deps: AppDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(listRoute, async (c) => c.json(await listAuditEvents(db, c.req.valid('query')), 200))
    .openapi(verifyRoute, async (c) => c.json(await verifyAuditChain(db), 200))
    .openapi(getRoute, async (c) => c.json(await getAuditEvent(db, c.req.valid('param').id), 200));
}
