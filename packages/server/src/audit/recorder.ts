import type { Actor, AuditEvent, AuditEventData } from '@flagline/core';
import { desc, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { auditEvents } from '../db/schema';
import { chainHash, type HashedContent } from './hash';
import { toAuditEvent } from './view';

export type AuditInput = AuditEventData & {
  environment?: string | null;
  flagKey?: string | null;
  scheduleId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

/** Any fixed number: the transaction-scoped lock that gives the hash chain a single order. */
const AUDIT_CHAIN_LOCK_ID = 4747_0002;

/**
 * Writes audit events inside the transaction of the change they record, so there is never a change without its
 * event or an event without its change.
 */
export class AuditRecorder {
  readonly recorded: AuditEvent[] = [];

  constructor(
    private readonly tx: Tx,
    private readonly actor: Actor,
    private readonly requestId: string | null,
  ) {}

  async record(input: AuditInput): Promise<AuditEvent> {
    await this.tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_ID})`);
    const [last] = await this.tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.id))
      .limit(1);
    const prevHash = last?.hash ?? null;
    const occurredAt = new Date();
    const content: HashedContent = {
      type: input.type,
      occurredAt: occurredAt.toISOString(),
      actor: { type: this.actor.type, id: this.actor.id, email: this.actor.email },
      environment: input.environment ?? null,
      flagKey: input.flagKey ?? null,
      scheduleId: input.scheduleId ?? null,
      requestId: this.requestId,
      data: input.data,
      before: input.before ?? null,
      after: input.after ?? null,
    };
    const [row] = await this.tx
      .insert(auditEvents)
      .values({
        occurredAt,
        type: input.type,
        actorType: this.actor.type,
        actorId: this.actor.id,
        actorEmail: this.actor.email,
        environment: content.environment,
        flagKey: content.flagKey,
        scheduleId: content.scheduleId,
        requestId: this.requestId,
        data: input.data,
        before: content.before as Record<string, unknown> | null,
        after: content.after as Record<string, unknown> | null,
        prevHash,
        hash: chainHash(prevHash, content),
      })
      .returning();
    if (!row) throw new Error('audit insert returned no row');
    // The webhook outbox, in the event's own transaction: a delivery exists exactly when the event committed.
    await this.tx.execute(sql`
      insert into webhook_deliveries (webhook_id, event_id)
      select id, ${row.id} from webhooks
      where deleted_at is null and (event_types is null or ${input.type} = any(event_types))`);
    const event = toAuditEvent(row);
    this.recorded.push(event);
    return event;
  }
}
