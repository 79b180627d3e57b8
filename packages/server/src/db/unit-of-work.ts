import type { Actor, AuditEvent } from '@flagline/core';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { AuditRecorder } from '../audit/recorder';
import type { Db, Tx } from './client';
import { configState } from './schema';

/** The channel every change is announced on; instances refresh their snapshot when it fires. */
export const CHANGES_CHANNEL = 'flagline_changes';

export interface ChangeContext {
  actor: Actor;
  requestId: string | null;
}

export interface UnitOfWorkDeps {
  db: Db;
  logger: Logger;
  /** Runs after a change commits (this instance refreshes its snapshot before answering). */
  afterCommit?: (version: number) => Promise<void>;
}

export type ChangeWork<T> = (tx: Tx, audit: AuditRecorder) => Promise<T>;

/**
 * The use-case boundary: one transaction for the change, its audit events, the config version bump and the change
 * notification (Postgres delivers NOTIFY on commit, so nobody hears of a change that rolled back). A unit of work that
 * records no event changed nothing and bumps nothing.
 */
export async function runChange<T>(deps: UnitOfWorkDeps, context: ChangeContext, work: ChangeWork<T>): Promise<T> {
  let events: AuditEvent[] = [];
  let version: number | undefined;
  const result = await deps.db.transaction(async (tx) => {
    const audit = new AuditRecorder(tx, context.actor, context.requestId);
    const value = await work(tx, audit);
    events = audit.recorded;
    if (events.length > 0) {
      const [row] = await tx
        .update(configState)
        .set({ version: sql`${configState.version} + 1` })
        .returning({ version: configState.version });
      version = row?.version;
      await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${String(version)})`);
    }
    return value;
  });
  for (const event of events) logAuditEvent(deps.logger, event);
  if (version !== undefined && deps.afterCommit) await deps.afterCommit(version);
  return result;
}

/**
 * After commit, each event is also one structured log line, as the origin's log-only audit did, but with only what
 * identifies the change: logs travel further than the database and are kept by other rules, so the actor's id and
 * email, before/after and `data` (which holds user ids and admin emails) stay in the audit trail, behind its access
 * control. A failed schedule's error message is kept: it is the system's own, and what an operator acts on.
 */
export function logAuditEvent(logger: Logger, event: AuditEvent): void {
  const line = {
    audit: {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      actorType: event.actor.type,
      environment: event.environment,
      flagKey: event.flagKey,
      scheduleId: event.scheduleId,
      requestId: event.requestId,
    },
  };
  if (event.type === 'flag_schedule.failed') {
    const errorMessage = 'errorMessage' in event.data ? event.data.errorMessage : undefined;
    logger.error({ ...line, errorMessage }, `audit ${event.type}`);
  } else {
    logger.info(line, `audit ${event.type}`);
  }
}
