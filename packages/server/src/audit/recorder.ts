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
  private readonly events: AuditEvent[] = [];

  constructor(
    private readonly tx: Tx,
    private readonly actor: Actor,
    private readonly requestId: string | null,
  ) {}

  /** The events recorded so far in this transaction (those of rolled-back savepoints excluded). */
  get recorded(): AuditEvent[] {
    return [...this.events];
  }

  /**
   * Runs `work` in a savepoint of this transaction. If it throws, the savepoint rolls back and the events it recorded
   * are forgotten with it, so nothing is logged or announced that did not happen.
   */
  async savepoint<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const mark = this.events.length;
    try {
      return await this.tx.transaction((savepoint) => work(savepoint));
    } catch (error) {
      this.events.length = mark;
      throw error;
    }
  }

  async record(input: AuditInput): Promise<AuditEvent> {
    const [event] = await this.recordMany([input]);
    if (!event) throw new Error('audit insert returned no row');
    return event;
  }

  /**
   * Several events, chained in the order given, with one lock, one insert and one outbox statement for all of them
   * (the scheduler records a whole batch of applied schedules this way).
   */
  async recordMany(inputs: AuditInput[]): Promise<AuditEvent[]> {
    if (inputs.length === 0) return [];
    await this.tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_ID})`);
    const [last] = await this.tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.id))
      .limit(1);
    let prevHash = last?.hash ?? null;
    const occurredAt = new Date();
    const values = inputs.map((input) => {
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
      const hash = chainHash(prevHash, content);
      const value = {
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
        hash,
      };
      prevHash = hash;
      return value;
    });
    const rows = (await this.tx.insert(auditEvents).values(values).returning()).sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    // The chain is verified in id order: the ids must follow the order the hashes were chained in.
    if (rows.length !== values.length || rows.some((row, i) => row.hash !== values[i]?.hash)) {
      throw new Error('audit events were not stored in chain order');
    }
    // The webhook outbox, in the events' own transaction: a delivery exists exactly when its event committed.
    const inserted = JSON.stringify(rows.map((row) => ({ id: row.id.toString(), type: row.type })));
    await this.tx.execute(sql`
      insert into webhook_deliveries (webhook_id, event_id)
      select w.id, e.id
      from jsonb_to_recordset(${inserted}::jsonb) as e(id bigint, type text)
      join webhooks w on w.deleted_at is null and (w.event_types is null or e.type = any(w.event_types))
      order by e.id, w.id`);
    const events = rows.map(toAuditEvent);
    this.events.push(...events);
    return events;
  }
}
