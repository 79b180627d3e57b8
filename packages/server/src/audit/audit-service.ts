import type { AuditEvent, AuditPage, ListAuditQuery } from '@flagline/core';
import { and, asc, desc, eq, gte, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents } from '../db/schema';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { notFound } from '../http/errors';
import { chainHash } from './hash';
import { toAuditEvent } from './view';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A cursor id must fit PostgreSQL's bigint, or the query would fail in the database (a 500) instead of a 400. */
const isIdCursor = (value: unknown): value is { i: string } => {
  if (typeof value !== 'object' || value === null) return false;
  const id = String((value as { i?: unknown }).i);
  return /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
};

/** Newest first, keyset-paginated on the event id, with every filter of design §3. */
export async function listAuditEvents(db: Db, query: ListAuditQuery): Promise<AuditPage> {
  const beforeId = query.cursor ? BigInt(decodeCursor(query.cursor, isIdCursor).i) : undefined;
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        query.type ? eq(auditEvents.type, query.type) : undefined,
        query.flagKey ? eq(auditEvents.flagKey, query.flagKey) : undefined,
        query.environment ? eq(auditEvents.environment, query.environment) : undefined,
        query.actorId ? eq(auditEvents.actorId, query.actorId) : undefined,
        query.scheduleId ? eq(auditEvents.scheduleId, query.scheduleId) : undefined,
        query.from ? gte(auditEvents.occurredAt, new Date(query.from)) : undefined,
        query.to ? lt(auditEvents.occurredAt, new Date(query.to)) : undefined,
        beforeId === undefined ? undefined : lt(auditEvents.id, beforeId),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toAuditEvent),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ i: last.id.toString() }) : null,
  };
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

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBrokenId: string | null;
}

/** Walks the hash chain in id order, in batches, and reports the first event whose hash does not match. */
export async function verifyAuditChain(
  db: Db,
  onProgress?: (checked: number) => void,
  batchSize = 5_000,
): Promise<ChainVerification> {
  let checked = 0;
  let prevHash: string | null = null;
  let afterId: bigint | undefined;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(afterId === undefined ? undefined : gte(auditEvents.id, afterId + 1n))
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
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
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return { ok: true, checked, firstBrokenId: null };
    afterId = last.id;
  }
}
