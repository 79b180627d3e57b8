import {
  type ListSchedulesQuery,
  type Schedule,
  type ScheduleStatus,
  type ScheduleUpdates,
  type StoredRecurrence,
  storedRecurrenceSchema,
} from '@flagline/core';
import { and, asc, eq, gt, gte, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagSchedules } from '../db/schema';
import { isUuid } from '../shared/ids';
import { occurrencesFrom, pendingPoint } from './recurrence';

/** Woken when a schedule is created or cancelled, so a sleeping worker re-plans at once. */
export const SCHEDULES_CHANNEL = 'flagline_schedules';

export type ScheduleRow = typeof flagSchedules.$inferSelect;

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** A recurring schedule's stored recurrence, undefined for a one-off (or one that no longer reads). */
export function recurrenceOf(row: ScheduleRow): StoredRecurrence | undefined {
  if (row.recurrence === null) return undefined;
  const parsed = storedRecurrenceSchema.safeParse(row.recurrence);
  return parsed.success ? parsed.data : undefined;
}

/** A one-off answers exactly as the origin's did; a recurring schedule adds its recurrence and next occurrences. */
export function toSchedule(row: ScheduleRow): Schedule {
  const schedule = toOneOff(row);
  const recurrence = recurrenceOf(row);
  if (!recurrence) return schedule;
  const pending = row.status === 'pending' ? pendingPoint(recurrence, row.scheduledAt, row.occurrenceCount) : undefined;
  return {
    ...schedule,
    recurrence,
    occurrenceCount: row.occurrenceCount,
    lastOccurrenceAt: iso(row.lastOccurrenceAt),
    nextOccurrences: occurrencesFrom(recurrence, pending),
  };
}

function toOneOff(row: ScheduleRow): Schedule {
  const schedule: Schedule = {
    id: row.id,
    flagKey: row.flagKey,
    environment: row.environment,
    scheduledAt: row.scheduledAt.toISOString(),
    status: row.status,
    updates: row.updates as ScheduleUpdates,
    appliedAt: iso(row.appliedAt),
    errorMessage: row.errorMessage,
    retryCount: row.retryCount,
    maxRetries: row.maxRetries,
    nextRetryAt: iso(row.nextRetryAt),
    lastError: row.lastError,
    createdBy: row.createdBy,
    cancelledBy: row.cancelledBy,
    cancelledAt: iso(row.cancelledAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  // Only a plan's steps name their plan, so every other schedule answers byte for byte as before.
  if (row.planId === null) return schedule;
  return { ...schedule, planId: row.planId, planStep: row.planStep ?? 0 };
}

/** When a pending schedule is next due: its retry time while it waits to retry, else its scheduled time. */
export const dueAt = sql`coalesce(${flagSchedules.nextRetryAt}, ${flagSchedules.scheduledAt})`;

export async function notifySchedulers(executor: Executor): Promise<void> {
  await executor.execute(sql`select pg_notify(${SCHEDULES_CHANNEL}, '')`);
}

export async function insertSchedule(
  executor: Executor,
  values: {
    flagId: string;
    flagKey: string;
    environment: string;
    scheduledAt: Date;
    updates: ScheduleUpdates;
    maxRetries: number;
    createdBy: string;
    createdByEmail: string | null;
    recurrence?: StoredRecurrence;
  },
): Promise<ScheduleRow> {
  const [row] = await executor.insert(flagSchedules).values(values).returning();
  if (!row) throw new Error('schedule insert returned no row');
  return row;
}

/** The schedule with this id if it belongs to the flag; undefined for an id that names none. */
export async function findScheduleOfFlag(
  executor: Executor,
  flagKey: string,
  id: string,
): Promise<ScheduleRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await executor
    .select()
    .from(flagSchedules)
    .where(and(eq(flagSchedules.id, id), eq(flagSchedules.flagKey, flagKey)));
  return row;
}

/** A flag's schedules in one environment, in scheduled order, then creation order. */
export async function listSchedulesOfFlag(
  executor: Executor,
  where: { flagId: string; environment: string; status: ScheduleStatus | undefined },
): Promise<ScheduleRow[]> {
  return executor
    .select()
    .from(flagSchedules)
    .where(
      and(
        eq(flagSchedules.flagId, where.flagId),
        eq(flagSchedules.environment, where.environment),
        where.status ? eq(flagSchedules.status, where.status) : undefined,
      ),
    )
    .orderBy(asc(flagSchedules.scheduledAt), asc(flagSchedules.createdAt));
}

/** Schedules across flags in (scheduledAt, id) order after the keyset `after`, one more than `limit`. */
export async function pageSchedules(
  executor: Executor,
  query: Omit<ListSchedulesQuery, 'cursor'>,
  after: { at: Date; id: string } | undefined,
): Promise<ScheduleRow[]> {
  return executor
    .select()
    .from(flagSchedules)
    .where(
      and(
        query.status ? eq(flagSchedules.status, query.status) : undefined,
        query.environment ? eq(flagSchedules.environment, query.environment) : undefined,
        query.from ? gte(flagSchedules.scheduledAt, new Date(query.from)) : undefined,
        query.to ? lt(flagSchedules.scheduledAt, new Date(query.to)) : undefined,
        after
          ? or(
              gt(flagSchedules.scheduledAt, after.at),
              and(eq(flagSchedules.scheduledAt, after.at), gt(flagSchedules.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(flagSchedules.scheduledAt), asc(flagSchedules.id))
    .limit(query.limit + 1);
}
