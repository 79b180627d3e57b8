import type { AuditEvent, AuditFilter, AuditPage, ListAuditQuery } from '@flagline/core';
import { and, asc, count, desc, eq, getTableColumns, gt, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditChain, auditEvents } from '../db/schema';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { notFound } from '../shared/errors';
import { type ChainRow, type SealedAuditRow, toAuditEvent } from './view';

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
  const rows = await withLinks(db)
    .where(and(auditConditions(query), scope, beforeId === undefined ? undefined : lt(auditEvents.id, beforeId)))
    .orderBy(desc(auditEvents.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toAuditEvent(row, row.link)),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ i: last.id.toString() }) : null,
  };
}

const linkColumns = { position: auditChain.position, prevHash: auditChain.prevHash, hash: auditChain.hash };

/** Events with their chain link (null while unsealed), for the newest-first list and single reads. */
const withLinks = (db: Db) =>
  db
    .select({ ...getTableColumns(auditEvents), link: linkColumns })
    .from(auditEvents)
    .leftJoin(auditChain, eq(auditChain.eventId, auditEvents.id));

/**
 * Every matching sealed event in sealed order (chain position), fetched in keyset batches: memory stays constant
 * however long the trail is, and each batch is its own short query, so a slow reader never holds a transaction open.
 * Events the sealer has not reached yet are left out: they join the next export, in their sealed place.
 */
export async function* auditRowBatches(
  db: Db,
  filter: AuditFilter,
  batchSize = 2_000,
): AsyncGenerator<(SealedAuditRow & { link: NonNullable<SealedAuditRow['link']> })[]> {
  let afterPosition: bigint | undefined;
  for (;;) {
    const rows = await db
      .select({ ...getTableColumns(auditEvents), link: linkColumns })
      .from(auditChain)
      .innerJoin(auditEvents, eq(auditEvents.id, auditChain.eventId))
      .where(
        and(auditConditions(filter), afterPosition === undefined ? undefined : gt(auditChain.position, afterPosition)),
      )
      .orderBy(asc(auditChain.position))
      .limit(batchSize);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return;
    afterPosition = last.link.position;
  }
}

/** The chain itself in position order, each link with its event (null when the event row is gone). */
export async function* chainBatches(
  db: Db,
  batchSize = 2_000,
): AsyncGenerator<{ link: ChainRow; event: SealedAuditRow | null }[]> {
  let afterPosition: bigint | undefined;
  for (;;) {
    const rows = await db
      .select({ link: auditChain, event: auditEvents })
      .from(auditChain)
      .leftJoin(auditEvents, eq(auditEvents.id, auditChain.eventId))
      .where(afterPosition === undefined ? undefined : gt(auditChain.position, afterPosition))
      .orderBy(asc(auditChain.position))
      .limit(batchSize);
    if (rows.length > 0) yield rows.map(({ link, event }) => ({ link, event: event ? { ...event, link } : null }));
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return;
    afterPosition = last.link.position;
  }
}

export async function countAuditEvents(db: Db, filter: AuditFilter): Promise<number> {
  const [row] = await db.select({ total: count() }).from(auditEvents).where(auditConditions(filter));
  return row?.total ?? 0;
}

export async function getAuditEvent(db: Db, id: string): Promise<AuditEvent> {
  if (!/^\d{1,18}$/.test(id)) throw notFound(`Audit event "${id}"`);
  const [row] = await withLinks(db).where(eq(auditEvents.id, BigInt(id)));
  if (!row) throw notFound(`Audit event "${id}"`);
  return toAuditEvent(row, row.link);
}
