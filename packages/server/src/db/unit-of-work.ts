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

/** After commit, each event is also one structured log line, as the origin's log-only audit did. */
export function logAuditEvent(logger: Logger, event: AuditEvent): void {
  const line = { audit: event };
  if (event.type === 'flag_schedule.failed') logger.error(line, `audit ${event.type}`);
  else logger.info(line, `audit ${event.type}`);
}
