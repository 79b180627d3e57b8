import type { ChangeRequestStatus, ListChangeRequestsQuery } from '@flagline/core';
import { and, asc, eq, gt, lte, or } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { changeRequests } from '../db/schema';

export type ChangeRequestRow = typeof changeRequests.$inferSelect;
export type NewChangeRequestRow = typeof changeRequests.$inferInsert;

export async function insertChangeRequest(executor: Executor, values: NewChangeRequestRow): Promise<ChangeRequestRow> {
  const [row] = await executor.insert(changeRequests).values(values).returning();
  if (!row) throw new Error('change request insert returned no row');
  return row;
}

/** The request, locked for the decision: two admins approving at once decide one after the other. */
export async function findChangeRequest(
  executor: Executor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<ChangeRequestRow | undefined> {
  const query = executor.select().from(changeRequests).where(eq(changeRequests.id, id));
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}

export async function decideChangeRequest(
  executor: Executor,
  id: string,
  values: Pick<ChangeRequestRow, 'status' | 'decidedBy' | 'decidedAt' | 'decisionComment' | 'error'>,
): Promise<ChangeRequestRow> {
  const [row] = await executor.update(changeRequests).set(values).where(eq(changeRequests.id, id)).returning();
  if (!row) throw new Error(`change request ${id} vanished inside its own transaction`);
  return row;
}

/** Requests in (createdAt, id) order after the keyset `after`, one more than `limit`. */
export async function pageChangeRequests(
  executor: Executor,
  query: Omit<ListChangeRequestsQuery, 'cursor'>,
  after: { at: Date; id: string } | undefined,
): Promise<ChangeRequestRow[]> {
  return executor
    .select()
    .from(changeRequests)
    .where(
      and(
        query.status ? eq(changeRequests.status, query.status) : undefined,
        query.environment ? eq(changeRequests.environment, query.environment) : undefined,
        query.flagKey ? eq(changeRequests.flagKey, query.flagKey) : undefined,
        after
          ? or(
              gt(changeRequests.createdAt, after.at),
              and(eq(changeRequests.createdAt, after.at), gt(changeRequests.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(changeRequests.createdAt), asc(changeRequests.id))
    .limit(query.limit + 1);
}

/** Pending requests whose time passed (schedules nobody approved in time), locked and skipped if being decided. */
export async function lockExpiredRequests(executor: Executor, now: Date, limit: number): Promise<ChangeRequestRow[]> {
  const pending: ChangeRequestStatus = 'pending';
  return executor
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.status, pending), lte(changeRequests.expiresAt, now)))
    .orderBy(asc(changeRequests.expiresAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}
