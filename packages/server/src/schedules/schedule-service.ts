import {
  type CreateScheduleBody,
  instantInputSchema,
  type ListSchedulesQuery,
  type Schedule,
  type SchedulePage,
  type ScheduleStatus,
} from '@flagline/core';
import { and, asc, eq, gt, gte, lt, or } from 'drizzle-orm';
import type { Db, Executor } from '../db/client';
import { flagSchedules } from '../db/schema';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { requireFlagByKey } from '../flags/flag-store';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { AppError, notFound } from '../shared/errors';
import { isUuid } from '../shared/ids';
import { notifySchedulers, type ScheduleRow, toSchedule } from './schedule-store';
import { lockFlagStatesOf } from './sql/lock-flag-states';

const DAY_MS = 86_400_000;

function invalidScheduledAt(reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `Invalid body: scheduledAt: ${reason}.`, {
    location: 'body',
    fields: { scheduledAt: reason },
  });
}

export async function createSchedule(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: { flagKey: string; environment: string; body: CreateScheduleBody; maxHorizonDays: number },
): Promise<Schedule> {
  const scheduledAt = new Date(input.body.scheduledAt);
  const now = Date.now();
  if (scheduledAt.getTime() <= now) throw invalidScheduledAt('must be in the future');
  if (scheduledAt.getTime() > now + input.maxHorizonDays * DAY_MS) {
    throw invalidScheduledAt(`must be at most ${input.maxHorizonDays} days ahead`);
  }
  return runChange(deps, context, async ({ tx, audit, actor }) => {
    await requireEnvironment(tx, input.environment);
    const flag = await requireFlagByKey(tx, input.flagKey);
    const updates = input.body.updates;
    const [row] = await tx
      .insert(flagSchedules)
      .values({
        flagId: flag.id,
        flagKey: input.flagKey,
        environment: input.environment,
        scheduledAt,
        updates,
        maxRetries: input.body.maxRetries ?? 3,
        createdBy: actor.id,
        createdByEmail: actor.email,
      })
      .returning();
    if (!row) throw new Error('schedule insert returned no row');
    const schedule = toSchedule(row);
    await audit.record({
      type: 'flag_schedule.created',
      environment: input.environment,
      flagKey: input.flagKey,
      scheduleId: row.id,
      data: {
        scheduleId: row.id,
        flagKey: input.flagKey,
        scheduledAt: schedule.scheduledAt,
        updates,
        adminUserId: actor.id,
        adminEmail: actor.email,
      },
      before: null,
      after: schedule,
    });
    await notifySchedulers(tx);
    return schedule;
  });
}

export async function listFlagSchedules(
  db: Db,
  input: { flagKey: string; environment: string; status: ScheduleStatus | undefined },
): Promise<Schedule[]> {
  await requireEnvironment(db, input.environment);
  const flag = await requireFlagByKey(db, input.flagKey);
  const rows = await db
    .select()
    .from(flagSchedules)
    .where(
      and(
        eq(flagSchedules.flagId, flag.id),
        eq(flagSchedules.environment, input.environment),
        input.status ? eq(flagSchedules.status, input.status) : undefined,
      ),
    )
    .orderBy(asc(flagSchedules.scheduledAt), asc(flagSchedules.createdAt));
  return rows.map(toSchedule);
}

async function findFlagSchedule(executor: Executor, flagKey: string, id: string): Promise<ScheduleRow> {
  const missing = notFound(`Schedule "${id}" of flag "${flagKey}"`);
  if (!isUuid(id)) throw missing;
  const [row] = await executor
    .select()
    .from(flagSchedules)
    .where(and(eq(flagSchedules.id, id), eq(flagSchedules.flagKey, flagKey)));
  if (!row) throw missing;
  return row;
}

export async function getFlagSchedule(db: Db, flagKey: string, id: string): Promise<Schedule> {
  return toSchedule(await findFlagSchedule(db, flagKey, id));
}

/** Marks pending schedules cancelled and audits each; the caller's transaction makes it atomic with its change. */
export async function cancelPendingSchedules(
  { tx, audit, actor }: ChangeScope,
  where: { id: string } | { flagId: string },
  reason: string,
): Promise<ScheduleRow[]> {
  // The lock order (flag state, then schedules; see sql/claim-due.ts): while a worker applies these schedules this
  // waits, and afterwards they are no longer pending and the conditional UPDATE below matches nothing.
  await lockFlagStatesOf(tx, where);
  const now = new Date();
  const cancelled = await tx
    .update(flagSchedules)
    .set({ status: 'cancelled', cancelledBy: actor.id, cancelledAt: now, updatedAt: now })
    .where(
      and(
        'id' in where ? eq(flagSchedules.id, where.id) : eq(flagSchedules.flagId, where.flagId),
        eq(flagSchedules.status, 'pending'),
      ),
    )
    .returning();
  for (const row of cancelled) {
    await audit.record({
      type: 'flag_schedule.cancelled',
      environment: row.environment,
      flagKey: row.flagKey,
      scheduleId: row.id,
      data: {
        scheduleId: row.id,
        flagKey: row.flagKey,
        scheduledAt: row.scheduledAt.toISOString(),
        adminUserId: actor.id,
        adminEmail: actor.email,
        reason,
      },
      before: { status: 'pending' },
      after: { status: 'cancelled', cancelledBy: actor.id, cancelledAt: now.toISOString() },
    });
  }
  if (cancelled.length > 0) await notifySchedulers(tx);
  return cancelled;
}

/** Cancels a pending schedule (one waiting to retry included); anything else is 409 INVALID_STATE. */
export async function cancelSchedule(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  flagKey: string,
  id: string,
): Promise<Schedule> {
  return runChange(deps, context, async (scope) => {
    const existing = await findFlagSchedule(scope.tx, flagKey, id);
    const [cancelled] = await cancelPendingSchedules(scope, { id: existing.id }, 'cancelled_by_admin');
    if (cancelled) return toSchedule(cancelled);
    const current = await findFlagSchedule(scope.tx, flagKey, id);
    throw new AppError(
      'INVALID_STATE',
      `Schedule "${id}" is ${current.status}; only pending schedules can be cancelled.`,
      { status: current.status },
    );
  });
}

/** `t` must be an instant PostgreSQL can read back (year 0 or 10000 would be a 500, not a 400). */
const isScheduleCursor = (value: unknown): value is { t: string; i: string } =>
  typeof value === 'object' &&
  value !== null &&
  instantInputSchema.safeParse((value as { t?: unknown }).t).success &&
  isUuid(String((value as { i?: unknown }).i));

/** Schedules across flags in scheduled order (keyset on scheduledAt, id): the upcoming and the past. */
export async function listSchedules(db: Db, query: ListSchedulesQuery): Promise<SchedulePage> {
  const after = query.cursor ? decodeCursor(query.cursor, isScheduleCursor) : undefined;
  const afterAt = after ? new Date(after.t) : undefined;
  const rows = await db
    .select()
    .from(flagSchedules)
    .where(
      and(
        query.status ? eq(flagSchedules.status, query.status) : undefined,
        query.environment ? eq(flagSchedules.environment, query.environment) : undefined,
        query.from ? gte(flagSchedules.scheduledAt, new Date(query.from)) : undefined,
        query.to ? lt(flagSchedules.scheduledAt, new Date(query.to)) : undefined,
        after && afterAt
          ? or(
              gt(flagSchedules.scheduledAt, afterAt),
              and(eq(flagSchedules.scheduledAt, afterAt), gt(flagSchedules.id, after.i)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(flagSchedules.scheduledAt), asc(flagSchedules.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSchedule),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor({ t: last.scheduledAt.toISOString(), i: last.id }) : null,
  };
}
