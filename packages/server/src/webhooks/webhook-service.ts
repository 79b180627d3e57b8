import { randomBytes } from 'node:crypto';
import type { AuditEventType, CreatedWebhook, CreateWebhookBody, Webhook, WebhookDelivery } from '@flagline/core';
import type { Db, Executor } from '../db/client';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { AppError, notFound } from '../shared/errors';
import { shownError } from './delivery-failure';
import { generatedSecretFrom } from './signing';
import type { TargetPolicy } from './target-policy';
import { maskUrl } from './url-masking';
import {
  type DeliveryStats,
  deliveryStats,
  findLiveWebhook,
  insertWebhook,
  listLiveWebhooks,
  markWebhookDeleted,
  recentDeliveries,
  type WebhookRow,
} from './webhook-store';

const noDeliveries: DeliveryStats = { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null, lastError: null };

function toWebhook(row: WebhookRow, stats: DeliveryStats = noDeliveries): Webhook {
  const deliveries: Webhook['deliveries'] = {
    pending: stats.pending,
    delivered: stats.delivered,
    failed: stats.failed,
    lastDeliveredAt: stats.lastDeliveredAt?.toISOString() ?? null,
    lastError: shownError(stats.lastError),
  };
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
  const rows = await listLiveWebhooks(db);
  const stats = await deliveryStats(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toWebhook(row, stats.get(row.id)));
}

async function requireWebhook(executor: Executor, id: string): Promise<WebhookRow> {
  const row = await findLiveWebhook(executor, id);
  if (!row) throw notFound(`Webhook "${id}"`);
  return row;
}

export async function getWebhook(db: Db, id: string): Promise<Webhook> {
  const row = await requireWebhook(db, id);
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
    const row = await insertWebhook(tx, {
      url: body.url,
      description: body.description ?? '',
      eventTypes: body.eventTypes ?? null,
      secret,
      createdBy: actor.id,
    });
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
    const row = await requireWebhook(tx, id);
    await markWebhookDeleted(tx, row.id, new Date());
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
  const row = await requireWebhook(db, id);
  const rows = await recentDeliveries(db, row.id, limit);
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
