import type { AuditEventType } from '@flagline/core';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { webhookDeliveries, webhooks } from '../db/schema';
import { isUuid } from '../shared/ids';

export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** Per webhook: how many deliveries are pending, delivered and failed, the last delivery and the last error. */
export interface DeliveryStats {
  pending: number;
  delivered: number;
  failed: number;
  lastDeliveredAt: Date | null;
  lastError: string | null;
}

export async function deliveryStats(executor: Executor, ids: string[]): Promise<Map<string, DeliveryStats>> {
  const stats = new Map<string, DeliveryStats>();
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
      lastDeliveredAt: row.lastDeliveredAt ? new Date(row.lastDeliveredAt) : null,
      lastError: row.lastError,
    });
  }
  return stats;
}

export async function listLiveWebhooks(executor: Executor): Promise<WebhookRow[]> {
  return executor.select().from(webhooks).where(isNull(webhooks.deletedAt)).orderBy(desc(webhooks.createdAt));
}

/** The webhook with this id unless deleted; undefined for an id that names none. */
export async function findLiveWebhook(executor: Executor, id: string): Promise<WebhookRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await executor
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.id, id), isNull(webhooks.deletedAt)));
  return row;
}

export async function insertWebhook(
  executor: Executor,
  values: {
    url: string;
    description: string;
    eventTypes: AuditEventType[] | null;
    secret: string;
    createdBy: string;
  },
): Promise<WebhookRow> {
  const [row] = await executor.insert(webhooks).values(values).returning();
  if (!row) throw new Error('webhook insert returned no row');
  return row;
}

/** Marks the webhook deleted; its deliveries not yet sent are failed with it. */
export async function markWebhookDeleted(executor: Executor, id: string, at: Date): Promise<void> {
  await executor.update(webhooks).set({ deletedAt: at }).where(eq(webhooks.id, id));
  await executor
    .update(webhookDeliveries)
    .set({ status: 'failed', lastError: 'webhook deleted' })
    .where(and(eq(webhookDeliveries.webhookId, id), eq(webhookDeliveries.status, 'pending')));
}

/** The webhook's newest deliveries first. */
export async function recentDeliveries(executor: Executor, id: string, limit: number): Promise<WebhookDeliveryRow[]> {
  return executor
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, id))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}
