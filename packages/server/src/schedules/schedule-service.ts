import type {
  Conflict,
  CreateScheduleBody,
  ListSchedulesQuery,
  OnConflict,
  Schedule,
  SchedulePage,
  ScheduleStatus,
  ScheduleUpdates,
  StoredRecurrence,
} from '@flagline/core';
import type { Db, Executor } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { type FlagRow, requireFlagByKey } from '../flags/flag-store';
import { targetingFieldProblems } from '../flags/targeting-service';
import { requireTargeting } from '../flags/targeting-store';
import { assertNoProblems } from '../flags/targeting-validation';
import { scheduledOverrideProblems } from '../overrides/override-service';
import { pendingConflictsUnlessRejected } from '../plans/conflicts';
import { completeFinishedPlans } from '../plans/plan-progress';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../shared/cursor';
import { AppError, notFound } from '../shared/errors';
import { startSeries } from './recurrence';
import {
  findScheduleOfFlag,
  insertSchedule,
  listSchedulesOfFlag,
  notifySchedulers,
  pageSchedules,
  type ScheduleRow,
  toSchedule,
} from './schedule-store';
import { lockFlagStatesOf } from './sql/lock-flag-states';
import { markCancelled } from './sql/mark-cancelled';

const DAY_MS = 86_400_000;

/** Whether a schedule changes more than the boolean shorthand (and so must be checked against the flag's targeting). */
export const hasTargetingFields = (updates: ScheduleUpdates) =>
  updates.offVariant !== undefined || updates.rules !== undefined || updates.fallthrough !== undefined;

/**
 * What a scheduled change could not do to the flag environment as it is now (each problem with its path under `at`):
 * targeting that names variants or segments it lacks, overrides pinning variants it lacks. Checked when a schedule or
 * plan step is made, and again when it applies. The boolean shorthand alone costs no query.
 */
export async function scheduledChangeProblems(
  tx: Executor,
  flag: Pick<FlagRow, 'key' | 'type' | 'variants'>,
  environment: string,
  updates: ScheduleUpdates,
  at: string,
): Promise<{ path: string; message: string }[]> {
  const problems = updates.overrides ? scheduledOverrideProblems(flag, updates.overrides, at) : [];
  if (hasTargetingFields(updates)) {
    const current = await requireTargeting(tx, flag.key, environment);
    problems.push(...(await targetingFieldProblems(tx, flag, current.targeting, updates, at)));
  }
  return problems;
}

function invalid(field: string, reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `Invalid body: ${field}: ${reason}.`, {
    location: 'body',
    fields: { [field]: reason },
  });
}

const invalidScheduledAt = (reason: string) => invalid('scheduledAt', reason);

/** When the schedule first applies, its recurrence if it recurs, and what it changes at each kind of occurrence. */
interface SchedulePlan {
  scheduledAt: Date;
  recurrence: StoredRecurrence | undefined;
  updates: ScheduleUpdates;
}

const DEFAULT_WINDOW_ON: ScheduleUpdates = { enabled: true };

/** The body's one-off time, cron or window, checked: the first occurrence must come, within the horizon. */
function planOf(body: CreateScheduleBody, maxHorizonDays: number): SchedulePlan {
  const now = Date.now();
  const horizon = now + maxHorizonDays * DAY_MS;
  if (body.recurrence || body.window) {
    const { recurrence, first } = startSeries(body, maxHorizonDays, new Date(now));
    return { scheduledAt: first.at, recurrence, updates: body.updates ?? DEFAULT_WINDOW_ON };
  }
  const scheduledAt = new Date(body.scheduledAt as string);
  if (scheduledAt.getTime() <= now) throw invalidScheduledAt('must be in the future');
  if (scheduledAt.getTime() > horizon) {
    throw invalidScheduledAt(`must be at most ${maxHorizonDays} days ahead`);
  }
  // The schema makes updates required when there is no window.
  return { scheduledAt, recurrence: undefined, updates: body.updates as ScheduleUpdates };
}

export async function createSchedule(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: ScheduleCreation,
): Promise<Schedule> {
  planOf(input.body, input.maxHorizonDays);
  return runChange(deps, context, (scope) => createScheduleIn(scope, input));
}

export interface ScheduleCreation {
  flagKey: string;
  environment: string;
  body: CreateScheduleBody;
  maxHorizonDays: number;
  conflictWindowMinutes: number;
  onConflict: OnConflict;
}

/** createSchedule inside a change already under way (an approved change request arms its schedule). */
export async function createScheduleIn(
  { tx, audit, actor }: ChangeScope,
  input: ScheduleCreation,
): Promise<Schedule & { conflicts?: Conflict[] }> {
  const { scheduledAt, recurrence, updates } = planOf(input.body, input.maxHorizonDays);
  await requireEnvironment(tx, input.environment);
  const flag = await requireFlagByKey(tx, input.flagKey);
  const offUpdates = recurrence?.kind === 'window' ? recurrence.offUpdates : undefined;
  assertNoProblems(await scheduledChangeProblems(tx, flag, input.environment, updates, 'updates.'));
  if (offUpdates) {
    assertNoProblems(await scheduledChangeProblems(tx, flag, input.environment, offUpdates, 'offUpdates.'));
  }
  const changes = [{ scheduledAt, updates }];
  if (offUpdates) changes.push({ scheduledAt, updates: offUpdates });
  const conflicts = await pendingConflictsUnlessRejected(
    tx,
    { flagId: flag.id, environment: input.environment },
    changes,
    { windowMinutes: input.conflictWindowMinutes, onConflict: input.onConflict },
  );
  const row = await insertSchedule(tx, {
    flagId: flag.id,
    flagKey: input.flagKey,
    environment: input.environment,
    scheduledAt,
    updates,
    maxRetries: input.body.maxRetries ?? 3,
    createdBy: actor.id,
    createdByEmail: actor.email,
    recurrence,
  });
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
      ...(recurrence ? { recurrence } : {}),
    },
    before: null,
    after: schedule,
  });
  await notifySchedulers(tx);
  // Only when there are some: without conflicts the answer is byte for byte the origin's.
  return conflicts.length > 0 ? { ...schedule, conflicts } : schedule;
}

export async function listFlagSchedules(
  db: Db,
  input: { flagKey: string; environment: string; status: ScheduleStatus | undefined },
): Promise<Schedule[]> {
  await requireEnvironment(db, input.environment);
  const flag = await requireFlagByKey(db, input.flagKey);
  const rows = await listSchedulesOfFlag(db, { flagId: flag.id, environment: input.environment, status: input.status });
  return rows.map(toSchedule);
}

async function requireScheduleOfFlag(executor: Executor, flagKey: string, id: string): Promise<ScheduleRow> {
  const row = await findScheduleOfFlag(executor, flagKey, id);
  if (!row) throw notFound(`Schedule "${id}" of flag "${flagKey}"`);
  return row;
}

export async function getFlagSchedule(db: Db, flagKey: string, id: string): Promise<Schedule> {
  return toSchedule(await requireScheduleOfFlag(db, flagKey, id));
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
  const cancelled = await markCancelled(tx, where, actor.id, now);
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
    const existing = await requireScheduleOfFlag(scope.tx, flagKey, id);
    const [cancelled] = await cancelPendingSchedules(scope, { id: existing.id }, 'cancelled_by_admin');
    if (cancelled) {
      // A plan whose last remaining step this was has nothing left to apply.
      await completeFinishedPlans(scope, [cancelled]);
      return toSchedule(cancelled);
    }
    const current = await requireScheduleOfFlag(scope.tx, flagKey, id);
    throw new AppError(
      'INVALID_STATE',
      `Schedule "${id}" is ${current.status}; only pending schedules can be cancelled.`,
      { status: current.status },
    );
  });
}

/** Schedules across flags in scheduled order (keyset on scheduledAt, id): the upcoming and the past. */
export async function listSchedules(db: Db, query: ListSchedulesQuery): Promise<SchedulePage> {
  const after = query.cursor ? decodeCursor(query.cursor, isTimeIdCursor) : undefined;
  const rows = await pageSchedules(db, query, after ? { at: new Date(after.t), id: after.i } : undefined);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toSchedule),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor({ t: last.scheduledAt.toISOString(), i: last.id }) : null,
  };
}
