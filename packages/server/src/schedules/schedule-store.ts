import type { Schedule, ScheduleUpdates } from '@flagline/core';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagSchedules } from '../db/schema';

/** Woken when a schedule is created or cancelled, so a sleeping worker re-plans at once. */
export const SCHEDULES_CHANNEL = 'flagline_schedules';

export type ScheduleRow = typeof flagSchedules.$inferSelect;

const iso = (value: Date | null) => value?.toISOString() ?? null;

export function toSchedule(row: ScheduleRow): Schedule {
  return {
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
}

/** When a pending schedule is next due: its retry time while it waits to retry, else its scheduled time. */
export const dueAt = sql`coalesce(${flagSchedules.nextRetryAt}, ${flagSchedules.scheduledAt})`;

export async function notifySchedulers(executor: Executor): Promise<void> {
  await executor.execute(sql`select pg_notify(${SCHEDULES_CHANNEL}, '')`);
}
