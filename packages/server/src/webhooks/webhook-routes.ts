import {
  createdWebhookSchema,
  createWebhookBodySchema,
  queryInt,
  webhookDeliverySchema,
  webhookSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, changeContext, unitOfWork } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonBody, jsonContent, notFoundError } from '../http/router';
import { TargetPolicy } from './target-policy';
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks } from './webhook-service';

const tags = ['Webhooks'];
const idParams = z.object({ id: z.string() });

const createWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks',
  operationId: 'createWebhook',
  tags,
  summary: 'Stream audit events to a URL',
  description:
    'Each event is POSTed as JSON after its change commits, signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">, keyed with the base64 bytes after `whsec_`), so off-the-shelf verifiers work; webhook-id lets receivers deduplicate retries. The older X-Flagline-Signature (sha256=hex HMAC(secret, "<X-Flagline-Timestamp>.<body>")) is sent alongside for one more version. Loopback, private, link-local and other non-public targets are refused unless WEBHOOK_ALLOWED_TARGETS allows them; URLs are shown with credentials and query values masked.',
  security: bearerSecurity,
  request: { body: jsonBody(createWebhookBodySchema) },
  responses: { 201: jsonContent(createdWebhookSchema, 'Created; keep the secret now.'), ...commonErrors },
});

const listRoute = createRoute({
  method: 'get',
  path: '/webhooks',
  operationId: 'listWebhooks',
  tags,
  summary: 'List webhooks with their delivery status',
  security: bearerSecurity,
  responses: {
    200: jsonContent(z.object({ items: z.array(webhookSchema) }), 'Webhooks (never their secrets).'),
    ...commonErrors,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/webhooks/{id}',
  operationId: 'getWebhook',
  tags,
  summary: 'One webhook with its delivery status',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 200: jsonContent(webhookSchema, 'The webhook.'), ...commonErrors, ...notFoundError },
});

const deliveriesRoute = createRoute({
  method: 'get',
  path: '/webhooks/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  tags,
  summary: "A webhook's recent deliveries, newest first",
  security: bearerSecurity,
  request: { params: idParams, query: z.object({ limit: queryInt(1, 500, 50) }) },
  responses: {
    200: jsonContent(z.object({ items: z.array(webhookDeliverySchema) }), 'Deliveries.'),
    ...commonErrors,
    ...notFoundError,
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/webhooks/{id}',
  operationId: 'deleteWebhook',
  tags,
  summary: 'Delete a webhook (undelivered events are dropped)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 204: { description: 'Deleted.' }, ...commonErrors, ...notFoundError },
});

export function webhookRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const db = deps.database.db;
  const policy = new TargetPolicy(deps.config.webhooks.allowedTargets);
  return createRouter()
    .openapi(createWebhookRoute, async (c) =>
      c.json(await createWebhook(uow, changeContext(c), c.req.valid('json'), policy), 201),
    )
    .openapi(listRoute, async (c) => c.json({ items: await listWebhooks(db) }, 200))
    .openapi(getRoute, async (c) => c.json(await getWebhook(db, c.req.valid('param').id), 200))
    .openapi(deliveriesRoute, async (c) =>
      c.json({ items: await listDeliveries(db, c.req.valid('param').id, c.req.valid('query').limit) }, 200),
    )
    .openapi(deleteRoute, async (c) => {
      await deleteWebhook(uow, changeContext(c), c.req.valid('param').id);
      return c.body(null, 204);
    });
}
