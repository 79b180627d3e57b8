import type { Conflict, ConflictField, OnConflict, ScheduleUpdates } from '@flagline/core';
import { conflictFieldSchema } from '@flagline/core';
import type { Executor } from '../db/client';
import { recurrenceOf, type ScheduleRow } from '../schedules/schedule-store';
import { AppError } from '../shared/errors';
import { pendingSchedulesOf } from './plan-store';

const MINUTE_MS = 60_000;

/** The flag-environment fields a patch sets (undefined members set nothing). */
export function fieldsOf(patch: Partial<Record<string, unknown>>): ConflictField[] {
  return conflictFieldSchema.options.filter((field) => patch[field] !== undefined);
}

/** What a stored schedule will set: its updates, and a window's off-updates too. */
function fieldsOfRow(row: ScheduleRow): ConflictField[] {
  const fields = new Set(fieldsOf(row.updates as ScheduleUpdates));
  const recurrence = recurrenceOf(row);
  if (recurrence?.kind === 'window') for (const field of fieldsOf(recurrence.offUpdates)) fields.add(field);
  return conflictFieldSchema.options.filter((field) => fields.has(field));
}

function conflictOf(kind: Conflict['kind'], row: ScheduleRow, fields: ConflictField[]): Conflict {
  return {
    kind,
    scheduleId: row.id,
    ...(row.planId ? { planId: row.planId } : {}),
    scheduledAt: row.scheduledAt.toISOString(),
    fields,
  };
}

/** A flag environment and the pending schedules that do not count against a change (its own plan's, its own). */
export type ConflictScope = FlagOfScope & {
  environment: string;
  exceptPlanId?: string | undefined;
  exceptIds?: string[];
};

/** The flag by id, or by key where the caller has not read its id (one round trip less inside a change). */
export type FlagOfScope = { flagId: string } | { flagKey: string };

/**
 * Pending schedules of the flag environment that set a field one of `changes` sets, within `windowMinutes` of it.
 * One conflict per pending schedule, naming every field it shares with any of the changes.
 */
export async function pendingScheduleConflicts(
  executor: Executor,
  scope: ConflictScope,
  changes: { scheduledAt: Date; updates: ScheduleUpdates }[],
  windowMinutes: number,
): Promise<Conflict[]> {
  const pending = await pendingSchedulesOf(executor, scope);
  const windowMs = windowMinutes * MINUTE_MS;
  const conflicts: Conflict[] = [];
  for (const row of pending) {
    const theirs = fieldsOfRow(row);
    const shared = new Set<ConflictField>();
    for (const change of changes) {
      if (Math.abs(change.scheduledAt.getTime() - row.scheduledAt.getTime()) > windowMs) continue;
      for (const field of fieldsOf(change.updates)) if (theirs.includes(field)) shared.add(field);
    }
    if (shared.size > 0)
      conflicts.push(
        conflictOf(
          'pending-schedule',
          row,
          theirs.filter((f) => shared.has(f)),
        ),
      );
  }
  return conflicts;
}

/** Pending schedules (any time ahead) that will overwrite fields a manual change just set. */
export async function overwriteConflicts(
  executor: Executor,
  scope: ConflictScope,
  changed: ConflictField[],
): Promise<Conflict[]> {
  if (changed.length === 0) return [];
  const pending = await pendingSchedulesOf(executor, scope);
  return pending.flatMap((row) => {
    const shared = fieldsOfRow(row).filter((field) => changed.includes(field));
    return shared.length > 0 ? [conflictOf('overwrites-manual-change', row, shared)] : [];
  });
}

/** pendingScheduleConflicts, rolled back as a 409 when the request asked to reject conflicts. */
export async function pendingConflictsUnlessRejected(
  executor: Executor,
  scope: ConflictScope,
  changes: { scheduledAt: Date; updates: ScheduleUpdates }[],
  settings: { windowMinutes: number; onConflict: OnConflict },
): Promise<Conflict[]> {
  const conflicts = await pendingScheduleConflicts(executor, scope, changes, settings.windowMinutes);
  settleConflicts(conflicts, settings.onConflict);
  return conflicts;
}

/** With ?onConflict=reject any conflict is a 409 that rolls the whole change back. */
export function settleConflicts(conflicts: Conflict[], onConflict: OnConflict): void {
  if (onConflict !== 'reject' || conflicts.length === 0) return;
  throw new AppError(
    'SCHEDULE_CONFLICT',
    `The change conflicts with ${conflicts.length} pending schedule(s); nothing was changed.`,
    { conflicts },
  );
}
