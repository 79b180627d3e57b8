import {
  type RunDueSummary,
  type ScheduleUpdates,
  type StoredRecurrence,
  scheduleChangesSchema,
  schedulerActor,
} from '@flagline/core';
import type { AuditInput } from '../audit/recorder';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { findFlagById, type StateChange, setStates } from '../flags/flag-store';
import { findTargeting } from '../flags/targeting-store';
import { applyScheduledOverrides } from '../overrides/override-service';
import { completeFinishedPlans, heldBackSteps, pausePlanOfFailedStep } from '../plans/plan-progress';
import { deferLaterSteps } from '../plans/plan-store';
import { scheduleLateness, schedulesProcessed } from '../shared/metrics';
import { latestDue, type Point, pendingPoint, updatesOf } from './recurrence';
import { hasTargetingFields, scheduledChangeProblems } from './schedule-service';
import { recurrenceOf, type ScheduleRow, toSchedule } from './schedule-store';
import { advanceRecurring } from './sql/advance-recurring';
import { anyDue } from './sql/any-due';
import { claimDue } from './sql/claim-due';
import { markApplied } from './sql/mark-applied';
import { markFailed } from './sql/mark-failed';
import { markRetrying } from './sql/mark-retrying';

const SCHEDULER_CONTEXT: ChangeContext = { actor: schedulerActor, requestId: null };

export interface ApplyOptions {
  batchSize: number;
  retryBaseMs: number;
  retryJitterMs: number;
}

/** A failure retrying cannot fix: the stored updates are no longer valid, or the flag or environment is gone. */
class PermanentFailure extends Error {}

type Outcome = { applied: number; retried: number; failed: number };

interface BatchResult extends Outcome {
  claimed: number;
  /** Nothing was claimed, yet something is due: other workers hold it all. */
  othersBusy: boolean;
}

/** The database's own words when there are some: drizzle wraps them in "Failed query: …" with the parameters. */
function errorMessage(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const message = root instanceof Error ? root.message : String(root);
  return message.length > 1000 ? `${message.slice(0, 997)}...` : message;
}

/** The flag_schedule.applied event. */
function appliedEvent(
  schedule: ScheduleRow,
  updates: ScheduleUpdates,
  appliedAt: Date,
  { before, after, targeting }: StateChange,
  occurrence: OccurrenceDue | undefined,
): AuditInput {
  return {
    type: 'flag_schedule.applied',
    environment: schedule.environment,
    flagKey: schedule.flagKey,
    scheduleId: schedule.id,
    data: {
      scheduleId: schedule.id,
      flagKey: schedule.flagKey,
      updates,
      appliedAt: appliedAt.toISOString(),
      flagState: { enabled: after.enabled, rolloutPercentage: after.rolloutPercentage },
      ...(occurrence && {
        recurringScheduleId: schedule.id,
        occurrenceAt: occurrence.apply.at.toISOString(),
        ...(occurrence.apply.action && { action: occurrence.apply.action }),
        skippedOccurrences: occurrence.skipped,
      }),
      ...(schedule.planId !== null && { planId: schedule.planId, planStep: schedule.planStep ?? 0 }),
    },
    before: { ...before, ...targeting?.before },
    after: { ...after, ...targeting?.after },
  };
}

/** Retries a failed attempt with exponential backoff and jitter, or fails the schedule for good. */
async function recordFailure(
  scope: ChangeScope,
  schedule: ScheduleRow,
  error: unknown,
  options: ApplyOptions,
): Promise<'retried' | 'failed'> {
  const { tx, audit } = scope;
  const message = errorMessage(error);
  const now = new Date();
  if (!(error instanceof PermanentFailure) && schedule.retryCount < schedule.maxRetries) {
    const delay =
      options.retryBaseMs * 2 ** schedule.retryCount + Math.floor(Math.random() * (options.retryJitterMs + 1));
    const nextRetryAt = new Date(now.getTime() + delay);
    const retryCount = schedule.retryCount + 1;
    await markRetrying(tx, schedule.id, { retryCount, nextRetryAt, lastError: message, at: now });
    await deferLaterSteps(tx, schedule, nextRetryAt);
    await audit.record({
      type: 'flag_schedule.retrying',
      environment: schedule.environment,
      flagKey: schedule.flagKey,
      scheduleId: schedule.id,
      data: {
        scheduleId: schedule.id,
        flagKey: schedule.flagKey,
        retryCount,
        nextRetryAt: nextRetryAt.toISOString(),
        lastError: message,
      },
      before: { retryCount: schedule.retryCount, nextRetryAt: schedule.nextRetryAt?.toISOString() ?? null },
      after: { retryCount, nextRetryAt: nextRetryAt.toISOString(), lastError: message },
    });
    return 'retried';
  }
  const failed = await markFailed(tx, schedule.id, message, now);
  await audit.record({
    type: 'flag_schedule.failed',
    environment: schedule.environment,
    flagKey: schedule.flagKey,
    scheduleId: schedule.id,
    data: { scheduleId: schedule.id, flagKey: schedule.flagKey, errorMessage: message, failedAt: now.toISOString() },
    before: { status: 'pending', retryCount: schedule.retryCount },
    after: failed ? toSchedule(failed) : { status: 'failed', errorMessage: message },
  });
  await pausePlanOfFailedStep(scope, schedule);
  return 'failed';
}

/** The occurrence of a recurring schedule being applied, and what follows it. */
interface OccurrenceDue {
  recurrence: StoredRecurrence;
  apply: Point;
  skipped: number;
  next: Point | undefined;
}

interface Checked {
  flagId: string;
  updates: ScheduleUpdates;
  occurrence: OccurrenceDue | undefined;
}

/** What cannot be applied however often it is tried, or the parsed updates (of the due occurrence, if it recurs). */
function validate(schedule: ScheduleRow, now: Date): Checked | PermanentFailure {
  const parsed = scheduleChangesSchema.safeParse(schedule.updates);
  if (!parsed.success) {
    return new PermanentFailure(
      `stored updates are not valid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
    );
  }
  if (!schedule.flagId) return new PermanentFailure(`flag "${schedule.flagKey}" no longer exists`);
  if (schedule.recurrence === null) return { flagId: schedule.flagId, updates: parsed.data, occurrence: undefined };
  const recurrence = recurrenceOf(schedule);
  if (!recurrence) return new PermanentFailure('stored recurrence is not valid');
  const occurrence = {
    recurrence,
    ...latestDue(recurrence, pendingPoint(recurrence, schedule.scheduledAt, schedule.occurrenceCount), now),
  };
  return { flagId: schedule.flagId, updates: updatesOf(recurrence, parsed.data, occurrence.apply), occurrence };
}

/**
 * A schedule that sets rules, an off variant, a fallthrough or pinned overrides was checked against the flag when it was
 * created; the flag may have changed since (a variant or segment it names is gone). Then it fails rather than store
 * what evaluation could not serve. Schedules of only enabled / rolloutPercentage cost no query here.
 */
async function incompatibleChange(
  tx: ChangeScope['tx'],
  { flagKey, environment }: ScheduleRow,
  checked: Checked,
): Promise<PermanentFailure | undefined> {
  if (!hasTargetingFields(checked.updates) && !checked.updates.overrides) return undefined;
  const flag = await findFlagById(tx, checked.flagId);
  if (!flag || !(await findTargeting(tx, flag.key, environment))) return undefined; // failed below: flag or state gone
  const problems = await scheduledChangeProblems(tx, flag, environment, checked.updates, 'updates.');
  if (problems.length === 0) return undefined;
  return new PermanentFailure(
    `the change no longer fits flag "${flagKey}": ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
  );
}

/**
 * THE apply: claimed schedules (in due order, then creation order) in a handful of statements however many there
 * are — the flag states folded through FlagStore.setStates (version +1 per schedule, so the last created of those due
 * together wins), the schedules marked applied, one event each. Permanent failures are failed here; any database error
 * throws, for the caller to roll the savepoint back.
 */
async function applySchedules(scope: ChangeScope, schedules: ScheduleRow[], options: ApplyOptions): Promise<Outcome> {
  const valid: ({ schedule: ScheduleRow } & Checked)[] = [];
  const permanent: { schedule: ScheduleRow; error: PermanentFailure }[] = [];
  const { tx, audit } = scope;
  const appliedAt = new Date();
  for (const schedule of schedules) {
    const checked = validate(schedule, appliedAt);
    const incompatible =
      checked instanceof PermanentFailure ? checked : await incompatibleChange(tx, schedule, checked);
    if (incompatible) permanent.push({ schedule, error: incompatible });
    else if (!(checked instanceof PermanentFailure)) valid.push({ schedule, ...checked });
  }
  const held = await heldBackSteps(
    tx,
    schedules,
    permanent.map(({ schedule }) => schedule),
  );
  if (held.size > 0) valid.splice(0, valid.length, ...valid.filter(({ schedule }) => !held.has(schedule.id)));
  const changes = await setStates(
    tx,
    valid.map(({ schedule, flagId, updates: { overrides: _overrides, ...patch } }) => ({
      flagId,
      environment: schedule.environment,
      patch,
    })),
    appliedAt,
  );
  // Override changes after the states, in due order, in the same savepoint: a schedule applies whole or not at all.
  for (const [i, { schedule, updates }] of valid.entries()) {
    if (updates.overrides && changes[i]) {
      await applyScheduledOverrides(scope, schedule, updates.overrides);
    }
  }
  const applied: { schedule: ScheduleRow; occurrence: OccurrenceDue | undefined }[] = [];
  const events: AuditInput[] = [];
  valid.forEach(({ schedule, updates, occurrence }, i) => {
    const change = changes[i];
    if (!change) {
      const gone = `flag "${schedule.flagKey}" has no state in environment "${schedule.environment}"`;
      permanent.push({ schedule, error: new PermanentFailure(gone) });
      return;
    }
    applied.push({ schedule, occurrence });
    events.push(appliedEvent(schedule, updates, appliedAt, change, occurrence));
  });
  await markApplied(
    tx,
    applied.filter(({ occurrence }) => !occurrence).map(({ schedule }) => schedule.id),
    appliedAt,
  );
  for (const { schedule, occurrence } of applied) {
    if (!occurrence) continue;
    await advanceRecurring(tx, {
      id: schedule.id,
      occurrenceAt: occurrence.apply.at,
      occurrenceCount: occurrence.apply.index + 1,
      next: occurrence.next?.at,
      appliedAt,
    });
  }
  await audit.recordMany(events);
  await completeFinishedPlans(
    scope,
    applied.map(({ schedule }) => schedule),
  );
  for (const { schedule, error } of permanent) await recordFailure(scope, schedule, error, options);
  for (const { schedule, occurrence } of applied) {
    const due = schedule.nextRetryAt ?? occurrence?.apply.at ?? schedule.scheduledAt;
    scheduleLateness.observe(Math.max(0, appliedAt.getTime() - due.getTime()) / 1000);
  }
  return { applied: applied.length, retried: 0, failed: permanent.length };
}

/**
 * Applies the claimed schedules together in a savepoint; if that fails, the same function again for each schedule in
 * its own savepoint, so one schedule's failure is retried or failed on its own and costs the others no attempt.
 */
async function applyClaimed(
  scope: ChangeScope,
  claimed: ScheduleRow[],
  options: ApplyOptions,
  logger: UnitOfWorkDeps['logger'],
): Promise<Outcome> {
  // Inside a savepoint the scope's statements run on the savepoint's transaction.
  const inSavepoint = (schedules: ScheduleRow[]) =>
    scope.audit.savepoint((tx) => applySchedules({ ...scope, tx }, schedules, options));
  if (claimed.length > 1) {
    try {
      return await inSavepoint(claimed);
    } catch (error) {
      logger.warn({ err: error, schedules: claimed.length }, 'applying the batch together failed; one at a time');
    }
  }
  const outcome: Outcome = { applied: 0, retried: 0, failed: 0 };
  for (const schedule of claimed) {
    try {
      const alone = await inSavepoint([schedule]);
      outcome.applied += alone.applied;
      outcome.failed += alone.failed;
    } catch (error) {
      outcome[await recordFailure(scope, schedule, error, options)]++;
    }
  }
  return outcome;
}

/**
 * Claims a batch (see claimDue: whole flags, so workers never wait on each other's schedules) and applies it in ONE
 * transaction: flag changes, statuses, audit events, the config version bump and the change notification commit
 * together or not at all, so any number of workers can run and a crash applies nothing twice.
 */
export async function applyDueBatch(deps: UnitOfWorkDeps, options: ApplyOptions): Promise<BatchResult> {
  return runChange(deps, SCHEDULER_CONTEXT, async (scope) => {
    const claimed = await claimDue(scope.tx, options.batchSize);
    if (claimed.length === 0) {
      return { claimed: 0, applied: 0, retried: 0, failed: 0, othersBusy: await anyDue(scope.tx) };
    }
    const outcome = await applyClaimed(scope, claimed, options, deps.logger);
    return { claimed: claimed.length, ...outcome, othersBusy: false };
  });
}

/** One pass: applies batches until nothing is due. What `flagline schedules run-due` and the Lambda handler run. */
export async function runDuePass(deps: UnitOfWorkDeps, options: ApplyOptions): Promise<RunDueSummary> {
  const started = performance.now();
  const summary: RunDueSummary = { processed: 0, applied: 0, retried: 0, failed: 0, durationMs: 0 };
  for (let idle = 0; idle < 50; ) {
    const batch = await applyDueBatch(deps, options);
    summary.applied += batch.applied;
    summary.retried += batch.retried;
    summary.failed += batch.failed;
    summary.processed += batch.applied + batch.retried + batch.failed;
    if (batch.othersBusy) {
      // Everything due belongs to flags other workers are applying: give them a moment.
      idle++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } else if (batch.claimed < options.batchSize) {
      break;
    }
  }
  summary.durationMs = Math.round((performance.now() - started) * 100) / 100;
  if (summary.applied) schedulesProcessed.inc({ outcome: 'applied' }, summary.applied);
  if (summary.retried) schedulesProcessed.inc({ outcome: 'retried' }, summary.retried);
  if (summary.failed) schedulesProcessed.inc({ outcome: 'failed' }, summary.failed);
  return summary;
}
