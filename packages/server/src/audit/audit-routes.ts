import {
  auditEventSchema,
  auditPageSchema,
  auditVerificationSchema,
  exportAuditQuerySchema,
  listAuditQuerySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonContent, notFoundError } from '../http/router';
import { getAuditEvent, listAuditEvents } from './audit-service';
import { exportStream } from './export';
import { verifyAuditChain } from './verify';

const tags = ['Audit'];

const listRoute = createRoute({
  method: 'get',
  path: '/audit',
  operationId: 'listAuditEvents',
  tags,
  summary: 'Query the audit trail, newest first',
  security: bearerSecurity,
  request: { query: listAuditQuerySchema },
  responses: { 200: jsonContent(auditPageSchema, 'A page of events.'), ...commonErrors },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/audit/verify',
  operationId: 'verifyAuditTrail',
  tags,
  summary: "Verify the audit trail's hash chain",
  security: bearerSecurity,
  responses: {
    200: jsonContent(auditVerificationSchema, 'Whether every event still hashes to its stored hash.'),
    ...commonErrors,
  },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/audit/export',
  operationId: 'exportAuditEvents',
  tags,
  summary: 'Export the audit trail (NDJSON or CSV), oldest first, streamed',
  description: 'Takes the same filters as the query. NDJSON is one event per line, ready for SIEM ingestion.',
  security: bearerSecurity,
  request: { query: exportAuditQuerySchema },
  responses: {
    200: {
      description: 'The events, streamed.',
      content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } },
    },
    ...commonErrors,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/audit/{id}',
  operationId: 'getAuditEvent',
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
    .openapi(exportRoute, (c) => {
      const { format, ...filter } = c.req.valid('query');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return new Response(exportStream(db, filter, format), {
        headers: {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
          'content-disposition': `attachment; filename="flagline-audit-${stamp}.${format}"`,
          'x-request-id': c.get('requestId'),
        },
      });
    })
    .openapi(getRoute, async (c) => c.json(await getAuditEvent(db, c.req.valid('param').id), 200));
}
