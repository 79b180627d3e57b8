import type { AuditEvent, AuditFilter, AuditPage, AuditVerification, ListAuditQuery } from '@flagline/core';
import { and, asc, count, desc, eq, gt, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents } from '../db/schema';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { notFound } from '../shared/errors';
import { chainHash } from './hash';
import { toAuditEvent } from './view';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A cursor id must fit PostgreSQL's bigint, or the query would fail in the database (a 500) instead of a 400. */
const isIdCursor = (value: unknown): value is { i: string } => {
  if (typeof value !== 'object' || value === null) return false;
  const id = String((value as { i?: unknown }).i);
  return /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
};

/** The SQL conditions for the filters of design §3, shared by the query, the export and the CLI. */
export function auditConditions(filter: AuditFilter): SQL | undefined {
  return and(
    filter.type ? eq(auditEvents.type, filter.type) : undefined,
    filter.flagKey ? eq(auditEvents.flagKey, filter.flagKey) : undefined,
    filter.environment ? eq(auditEvents.environment, filter.environment) : undefined,
    filter.actorId ? eq(auditEvents.actorId, filter.actorId) : undefined,
    filter.scheduleId ? eq(auditEvents.scheduleId, filter.scheduleId) : undefined,
    filter.from ? gte(auditEvents.occurredAt, new Date(filter.from)) : undefined,
    filter.to ? lt(auditEvents.occurredAt, new Date(filter.to)) : undefined,
  );
}

/** Newest first, keyset-paginated on the event id, with every filter of design §3; `scope` narrows it further. */
export async function listAuditEvents(db: Db, query: ListAuditQuery, scope?: SQL): Promise<AuditPage> {
  const beforeId = query.cursor ? BigInt(decodeCursor(query.cursor, isIdCursor).i) : undefined;
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(auditConditions(query), scope, beforeId === undefined ? undefined : lt(auditEvents.id, beforeId)))
    .orderBy(desc(auditEvents.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toAuditEvent),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ i: last.id.toString() }) : null,
  };
}

export type AuditRow = typeof auditEvents.$inferSelect;

/**
 * Every matching event, oldest first, fetched in keyset batches: memory stays constant however long the trail is.
 * Each batch is its own short query, so a slow reader never holds a transaction open.
 */
export async function* auditRowBatches(db: Db, filter: AuditFilter, batchSize = 2_000): AsyncGenerator<AuditRow[]> {
  let afterId: bigint | undefined;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(auditConditions(filter), afterId === undefined ? undefined : gt(auditEvents.id, afterId)))
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return;
    afterId = last.id;
  }
}

export async function countAuditEvents(db: Db, filter: AuditFilter): Promise<number> {
  const [row] = await db.select({ total: count() }).from(auditEvents).where(auditConditions(filter));
  return row?.total ?? 0;
}

export async function getAuditEvent(db: Db, id: string): Promise<AuditEvent> {
  if (!/^\d{1,18}$/.test(id)) throw notFound(`Audit event "${id}"`);
  const [row] = await db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.id, BigInt(id)));
  if (!row) throw notFound(`Audit event "${id}"`);
  return toAuditEvent(row);
}

/** Walks the hash chain in id order, in batches, and reports the first event whose hash does not match. */
export async function verifyAuditChain(
  db: Db,
  onProgress?: (checked: number) => void,
  batchSize = 1_000,
): Promise<AuditVerification> {
  let checked = 0;
  let prevHash: string | null = null;
  for await (const rows of auditRowBatches(db, {}, batchSize)) {
    for (const row of rows) {
      const event = toAuditEvent(row);
      const expected = chainHash(prevHash, {
        type: event.type,
        occurredAt: event.occurredAt,
        actor: event.actor,
        environment: event.environment,
        flagKey: event.flagKey,
        scheduleId: event.scheduleId,
        requestId: event.requestId,
        data: event.data,
        before: event.before,
        after: event.after,
      });
      if (row.prevHash !== prevHash || row.hash !== expected) return { ok: false, checked, firstBrokenId: event.id };
      prevHash = row.hash;
      checked++;
    }
    onProgress?.(checked);
  }
  return { ok: true, checked, firstBrokenId: null };
}
