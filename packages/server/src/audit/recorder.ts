import type { Actor, AuditEvent, AuditEventData } from '@flagline/core';
import type { Tx } from '../db/client';
import { auditEvents } from '../db/schema';
import { toAuditEvent } from './view';

export type AuditInput = AuditEventData & {
  environment?: string | null;
  flagKey?: string | null;
  scheduleId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

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
   * Several events with one insert (the scheduler records a whole batch of applied schedules this way). No lock is
   * taken: the sealer chains committed events after the fact (audit/sealer.ts), and creates their webhook deliveries
   * in sealed order.
   */
  async recordMany(inputs: AuditInput[]): Promise<AuditEvent[]> {
    if (inputs.length === 0) return [];
    // occurred_at is left to the database (the transaction's start, one clock with webhooks.created_at, which decides
    // which webhooks an event is delivered to when it is sealed).
    const values = inputs.map((input) => ({
      type: input.type,
      actorType: this.actor.type,
      actorId: this.actor.id,
      actorEmail: this.actor.email,
      environment: input.environment ?? null,
      flagKey: input.flagKey ?? null,
      scheduleId: input.scheduleId ?? null,
      requestId: this.requestId,
      data: input.data,
      before: input.before ?? null,
      after: input.after ?? null,
    }));
    const rows = (await this.tx.insert(auditEvents).values(values).returning()).sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    const events = rows.map((row) => toAuditEvent(row));
    this.events.push(...events);
    return events;
  }
}
