import { and, count, eq, lte, sql } from 'drizzle-orm';
import { countUnsealed } from '../audit/sealer';
import type { Db } from '../db/client';
import { flagSchedules, webhookDeliveries } from '../db/schema';

export interface Backlog {
  /** Schedules waiting to be applied, due or not (retrying ones included). */
  pendingSchedules: number;
  /** Pending schedules whose time (or retry time) has come: work the scheduler has not done yet. */
  dueSchedules: number;
  /** Webhook deliveries not yet made (waiting for their first attempt or a retry). */
  pendingWebhookDeliveries: number;
  /** Committed audit events the sealer has not chained yet. */
  unsealedAuditEvents: number;
}

/** Counts of the work queued in the database; each query uses the partial index on pending rows. */
export async function readBacklog(db: Db): Promise<Backlog> {
  const pending = eq(flagSchedules.status, 'pending');
  const [[schedules], [due], [deliveries], unsealed] = await Promise.all([
    db.select({ n: count() }).from(flagSchedules).where(pending),
    db
      .select({ n: count() })
      .from(flagSchedules)
      .where(and(pending, lte(sql`coalesce(${flagSchedules.nextRetryAt}, ${flagSchedules.scheduledAt})`, sql`now()`))),
    db.select({ n: count() }).from(webhookDeliveries).where(eq(webhookDeliveries.status, 'pending')),
    countUnsealed(db),
  ]);
  return {
    pendingSchedules: schedules?.n ?? 0,
    dueSchedules: due?.n ?? 0,
    pendingWebhookDeliveries: deliveries?.n ?? 0,
    unsealedAuditEvents: unsealed,
  };
}
