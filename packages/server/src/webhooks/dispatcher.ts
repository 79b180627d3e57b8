import { createHmac } from 'node:crypto';
import { and, asc, eq, inArray, lte, min, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { toAuditEvent } from '../audit/view';
import { WakeableLoop } from '../background/wakeable-loop';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { auditEvents, webhookDeliveries, webhooks } from '../db/schema';
import { CHANGES_CHANNEL } from '../db/unit-of-work';

/** How long a claimed delivery is ours; if this process dies mid-send, another picks it up after the lease. */
const LEASE_MS = 60_000;
const BATCH_SIZE = 50;
const CONCURRENCY = 8;
const POLL_MS = 5_000;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

interface Claimed {
  id: bigint;
  attempts: number;
  eventId: bigint;
  webhookId: string;
}

/**
 * Sends the webhook outbox. Deliveries are claimed with SKIP LOCKED and leased (next_attempt_at moves past the lease)
 * in a short transaction, sent outside it, then marked delivered or rescheduled with exponential backoff. Delivery is
 * at least once; receivers deduplicate with X-Flagline-Event-Id.
 */
export class WebhookDispatcher extends WakeableLoop {
  constructor(
    database: Database,
    private readonly options: Config['webhooks'],
    logger: Logger,
  ) {
    super(database, logger, CHANGES_CHANNEL, POLL_MS);
  }

  protected async pass(): Promise<number | undefined> {
    await this.runOnce();
    const [row] = await this.database.db
      .select({ ms: sql<string | null>`extract(epoch from (${min(webhookDeliveries.nextAttemptAt)} - now())) * 1000` })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.status, 'pending'));
    return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
  }

  /** Sends everything due now; returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const claimed = await this.claim();
      attempted += claimed.length;
      for (let i = 0; i < claimed.length; i += CONCURRENCY) {
        await Promise.all(claimed.slice(i, i + CONCURRENCY).map((delivery) => this.send(delivery)));
      }
      if (claimed.length < BATCH_SIZE || this.isStopped) return attempted;
    }
  }

  private async claim(): Promise<Claimed[]> {
    return this.database.db.transaction(async (tx) => {
      const due = await tx
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.status, 'pending'), lte(webhookDeliveries.nextAttemptAt, sql`now()`)))
        .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
        .limit(BATCH_SIZE)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      return tx
        .update(webhookDeliveries)
        .set({
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          nextAttemptAt: sql`now() + ${`${LEASE_MS} milliseconds`}::interval`,
        })
        .where(
          inArray(
            webhookDeliveries.id,
            due.map((row) => row.id),
          ),
        )
        .returning({
          id: webhookDeliveries.id,
          attempts: webhookDeliveries.attempts,
          eventId: webhookDeliveries.eventId,
          webhookId: webhookDeliveries.webhookId,
        });
    });
  }

  private async send(delivery: Claimed): Promise<void> {
    const db = this.database.db;
    const [target] = await db.select().from(webhooks).where(eq(webhooks.id, delivery.webhookId));
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.id, delivery.eventId));
    if (!target || target.deletedAt || !event) {
      await db
        .update(webhookDeliveries)
        .set({ status: 'failed', lastError: event ? 'webhook deleted' : 'event not found' })
        .where(eq(webhookDeliveries.id, delivery.id));
      return;
    }
    const body = JSON.stringify(toAuditEvent(event));
    const timestamp = String(Math.floor(Date.now() / 1000));
    let statusCode: number | null = null;
    let failure: string | null = null;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Flagline-Webhooks/1',
          'x-flagline-event-id': event.id.toString(),
          'x-flagline-event-type': event.type,
          'x-flagline-timestamp': timestamp,
          'x-flagline-signature': signature(target.secret, timestamp, body),
        },
        body,
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300) failure = `HTTP ${response.status}`;
    } catch (error) {
      failure =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    if (failure === null) {
      await db
        .update(webhookDeliveries)
        .set({ status: 'delivered', deliveredAt: new Date(), lastStatusCode: statusCode, lastError: null })
        .where(eq(webhookDeliveries.id, delivery.id));
      return;
    }
    const exhausted = delivery.attempts >= this.options.maxAttempts;
    const backoff = Math.min(this.options.maxBackoffMs, this.options.retryBaseMs * 2 ** (delivery.attempts - 1));
    const jitter = Math.floor(Math.random() * Math.min(1000, backoff / 2));
    await db
      .update(webhookDeliveries)
      .set({
        status: exhausted ? 'failed' : 'pending',
        lastStatusCode: statusCode,
        lastError: failure,
        nextAttemptAt: new Date(Date.now() + backoff + jitter),
      })
      .where(eq(webhookDeliveries.id, delivery.id));
    this.logger.warn(
      { webhookId: target.id, eventId: event.id.toString(), attempt: delivery.attempts, error: failure, exhausted },
      'webhook delivery failed',
    );
  }
}
