import { randomBytes } from 'node:crypto';
import type { AuditEventType, CreatedWebhook, CreateWebhookBody, Webhook, WebhookDelivery } from '@flagline/core';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { webhookDeliveries, webhooks } from '../db/schema';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { AppError, notFound } from '../shared/errors';
import { isUuid } from '../shared/ids';
import { shownError } from './delivery-failure';
import { generatedSecretFrom } from './signing';
import type { TargetPolicy } from './target-policy';
import { maskUrl } from './url-masking';

type WebhookRow = typeof webhooks.$inferSelect;

async function deliveryStats(executor: Executor, ids: string[]): Promise<Map<string, Webhook['deliveries']>> {
  const stats = new Map<string, Webhook['deliveries']>();
  if (ids.length === 0) return stats;
  const rows = await executor
    .select({
      webhookId: webhookDeliveries.webhookId,
      pending: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'pending')`.mapWith(Number),
      delivered: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'delivered')`.mapWith(Number),
      failed: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'failed')`.mapWith(Number),
      lastDeliveredAt: sql<string | null>`max(${webhookDeliveries.deliveredAt})`,
      lastError: sql<
        string | null
      >`(array_agg(${webhookDeliveries.lastError} order by ${webhookDeliveries.id} desc) filter (where ${webhookDeliveries.lastError} is not null))[1]`,
    })
    .from(webhookDeliveries)
    .where(inArray(webhookDeliveries.webhookId, ids))
    .groupBy(webhookDeliveries.webhookId);
  for (const row of rows) {
    stats.set(row.webhookId, {
      pending: row.pending,
      delivered: row.delivered,
      failed: row.failed,
      lastDeliveredAt: row.lastDeliveredAt ? new Date(row.lastDeliveredAt).toISOString() : null,
      lastError: shownError(row.lastError),
    });
  }
  return stats;
}

const noDeliveries = { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null, lastError: null };

function toWebhook(row: WebhookRow, deliveries: Webhook['deliveries'] = noDeliveries): Webhook {
  return {
    id: row.id,
    url: maskUrl(row.url),
    description: row.description,
    eventTypes: (row.eventTypes as AuditEventType[] | null) ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    deliveries,
  };
}

export async function listWebhooks(db: Db): Promise<Webhook[]> {
  const rows = await db.select().from(webhooks).where(isNull(webhooks.deletedAt)).orderBy(desc(webhooks.createdAt));
  const stats = await deliveryStats(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toWebhook(row, stats.get(row.id)));
}

async function findWebhook(executor: Executor, id: string): Promise<WebhookRow> {
  if (!isUuid(id)) throw notFound(`Webhook "${id}"`);
  const [row] = await executor
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, id), isNull(webhooks.deletedAt)));
  if (!row) throw notFound(`Webhook "${id}"`);
  return row;
}

export async function getWebhook(db: Db, id: string): Promise<Webhook> {
  const row = await findWebhook(db, id);
  return toWebhook(row, (await deliveryStats(db, [row.id])).get(row.id));
}

/**
 * Registers a webhook; its secret (given or generated) is returned this once and never again. A URL whose host is
 * itself a refused address (an IP literal, localhost) is refused here; a name is judged again at every connection.
 */
export async function createWebhook(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateWebhookBody,
  policy: TargetPolicy,
): Promise<CreatedWebhook> {
  const refusal = policy.refusalOfUrl(new URL(body.url));
  if (refusal) {
    const reason = `targets a ${refusal} address, which webhooks may not reach; allow it with WEBHOOK_ALLOWED_TARGETS`;
    throw new AppError('VALIDATION_FAILED', `Invalid body: url: ${reason}.`, {
      location: 'body',
      fields: { url: reason },
    });
  }
  return runChange(deps, context, async ({ tx, audit, actor }) => {
    const secret = body.secret ?? generatedSecretFrom(randomBytes(24));
    const [row] = await tx
      .insert(webhooks)
      .values({
        url: body.url,
        description: body.description ?? '',
        eventTypes: body.eventTypes ?? null,
        secret,
        createdBy: actor.id,
      })
      .returning();
    if (!row) throw new Error('webhook insert returned no row');
    // The audit trail is read by viewers and kept for ever: it gets the masked URL.
    const url = maskUrl(row.url);
    await audit.record({
      type: 'webhook.created',
      data: { webhookId: row.id, url, eventTypes: row.eventTypes ?? null },
      before: null,
      after: { id: row.id, url, eventTypes: row.eventTypes ?? null, description: row.description },
    });
    return { ...toWebhook(row), secret };
  });
}

/** Removes a webhook; deliveries not yet sent are dropped with it. */
export async function deleteWebhook(deps: UnitOfWorkDeps, context: ChangeContext, id: string): Promise<void> {
  await runChange(deps, context, async ({ tx, audit }) => {
    const row = await findWebhook(tx, id);
    await tx.update(webhooks).set({ deletedAt: new Date() }).where(eq(webhooks.id, row.id));
    await tx
      .update(webhookDeliveries)
      .set({ status: 'failed', lastError: 'webhook deleted' })
      .where(and(eq(webhookDeliveries.webhookId, row.id), eq(webhookDeliveries.status, 'pending')));
    const url = maskUrl(row.url);
    await audit.record({
      type: 'webhook.deleted',
      data: { webhookId: row.id, url },
      before: { id: row.id, url, eventTypes: row.eventTypes ?? null },
      after: null,
    });
  });
}

export async function listDeliveries(db: Db, id: string, limit: number): Promise<WebhookDelivery[]> {
  const row = await findWebhook(db, id);
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, row.id))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
  return rows.map((delivery) => ({
    id: delivery.id.toString(),
    eventId: delivery.eventId.toString(),
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastStatusCode: delivery.lastStatusCode,
    lastError: shownError(delivery.lastError),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  }));
}
