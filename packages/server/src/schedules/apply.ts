import { type RunDueSummary, type ScheduleUpdates, scheduleChangesSchema } from '@flagline/core';
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { AuditRecorder } from '../audit/recorder';
import type { Tx } from '../db/client';
import { flagSchedules, flagStates } from '../db/schema';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { scheduleLateness, schedulesProcessed } from '../http/metrics';
import { dueAt, type ScheduleRow, toSchedule } from './schedule-store';

export const SYSTEM_CONTEXT: ChangeContext = {
  actor: { type: 'system', id: 'scheduler', email: null },
  requestId: null,
};

export interface ApplyOptions {
  batchSize: number;
  retryBaseMs: number;
  retryJitterMs: number;
}

/** A failure retrying cannot fix: the stored updates are no longer valid, or the flag or environment is gone. */
class PermanentFailure extends Error {}

interface BatchResult {
  claimed: number;
  applied: number;
  retried: number;
  failed: number;
  /** Claimed but left for later: an earlier schedule of the same flag is still being applied elsewhere. */
  deferred: number;
}

/** The database's own words when there are some: drizzle wraps them in "Failed query: …" with the parameters. */
function errorMessage(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const message = root instanceof Error ? root.message : String(root);
  return message.length > 1000 ? `${message.slice(0, 997)}...` : message;
}

/** Whether an earlier-due schedule of the same flag and environment is still pending (held by another worker). */
async function hasEarlierPending(tx: Tx, schedule: ScheduleRow): Promise<boolean> {
  if (!schedule.flagId) return false;
  const rows = await tx.execute(sql`
    select 1 from flag_schedules other, flag_schedules me
    where me.id = ${schedule.id}
      and other.flag_id = me.flag_id and other.environment = me.environment
      and other.status = 'pending' and other.id <> me.id
      and (coalesce(other.next_retry_at, other.scheduled_at), other.created_at)
        < (coalesce(me.next_retry_at, me.scheduled_at), me.created_at)
    limit 1`);
  return (rows as unknown as { rows: unknown[] }).rows.length > 0;
}

/** Applies one schedule: flag state, schedule status and audit event, all or nothing (inside a savepoint). */
async function applyOne(tx: Tx, audit: AuditRecorder, schedule: ScheduleRow): Promise<void> {
  const parsed = scheduleChangesSchema.safeParse(schedule.updates);
  if (!parsed.success) {
    throw new PermanentFailure(`stored updates are not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const updates: ScheduleUpdates = parsed.data;
  if (!schedule.flagId) throw new PermanentFailure(`flag "${schedule.flagKey}" no longer exists`);
  const [state] = await tx
    .select()
    .from(flagStates)
    .where(and(eq(flagStates.flagId, schedule.flagId), eq(flagStates.environment, schedule.environment)))
    .for('update');
  if (!state) {
    throw new PermanentFailure(`flag "${schedule.flagKey}" has no state in environment "${schedule.environment}"`);
  }
  const appliedAt = new Date();
  const after = {
    enabled: updates.enabled ?? state.enabled,
    rolloutPercentage: updates.rolloutPercentage ?? state.rolloutPercentage,
  };
  const [updatedState] = await tx
    .update(flagStates)
    .set({ ...after, version: sql`${flagStates.version} + 1`, updatedAt: appliedAt })
    .where(and(eq(flagStates.flagId, schedule.flagId), eq(flagStates.environment, schedule.environment)))
    .returning({ version: flagStates.version });
  const [applied] = await tx
    .update(flagSchedules)
    .set({ status: 'applied', appliedAt, updatedAt: appliedAt, retryCount: 0, nextRetryAt: null, lastError: null })
    .where(eq(flagSchedules.id, schedule.id))
    .returning();
  if (!applied) throw new Error(`schedule ${schedule.id} vanished while being applied`);
  scheduleLateness.observe(
    Math.max(0, appliedAt.getTime() - (schedule.nextRetryAt ?? schedule.scheduledAt).getTime()) / 1000,
  );
  await audit.record({
    type: 'flag_schedule.applied',
    environment: schedule.environment,
    flagKey: schedule.flagKey,
    scheduleId: schedule.id,
    data: {
      scheduleId: schedule.id,
      flagKey: schedule.flagKey,
      updates,
      appliedAt: appliedAt.toISOString(),
      flagState: after,
    },
    before: { enabled: state.enabled, rolloutPercentage: state.rolloutPercentage, version: state.version },
    after: { ...after, version: updatedState?.version ?? state.version + 1 },
  });
}

async function recordFailure(
  tx: Tx,
  audit: AuditRecorder,
  schedule: ScheduleRow,
  error: unknown,
  options: ApplyOptions,
): Promise<'retried' | 'failed'> {
  const message = errorMessage(error);
  const now = new Date();
  if (!(error instanceof PermanentFailure) && schedule.retryCount < schedule.maxRetries) {
    const delay =
      options.retryBaseMs * 2 ** schedule.retryCount + Math.floor(Math.random() * (options.retryJitterMs + 1));
    const nextRetryAt = new Date(now.getTime() + delay);
    const retryCount = schedule.retryCount + 1;
    await tx
      .update(flagSchedules)
      .set({ retryCount, nextRetryAt, lastError: message, updatedAt: now })
      .where(eq(flagSchedules.id, schedule.id));
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
  const [failed] = await tx
    .update(flagSchedules)
    .set({ status: 'failed', errorMessage: message, lastError: message, nextRetryAt: null, updatedAt: now })
    .where(eq(flagSchedules.id, schedule.id))
    .returning();
  await audit.record({
    type: 'flag_schedule.failed',
    environment: schedule.environment,
    flagKey: schedule.flagKey,
    scheduleId: schedule.id,
    data: { scheduleId: schedule.id, flagKey: schedule.flagKey, errorMessage: message, failedAt: now.toISOString() },
    before: { status: 'pending', retryCount: schedule.retryCount },
    after: failed ? toSchedule(failed) : { status: 'failed', errorMessage: message },
  });
  return 'failed';
}

/**
 * Claims up to batchSize due schedules with FOR UPDATE SKIP LOCKED and applies them in due order, then creation
 * order, in ONE transaction: flag changes, statuses, audit events, the config version bump and the change notification
 * commit together or not at all, so any number of workers can run and a crash applies nothing twice.
 */
export async function applyDueBatch(deps: UnitOfWorkDeps, options: ApplyOptions): Promise<BatchResult> {
  const result: BatchResult = { claimed: 0, applied: 0, retried: 0, failed: 0, deferred: 0 };
  await runChange(deps, SYSTEM_CONTEXT, async (tx, audit) => {
    const due = await tx
      .select()
      .from(flagSchedules)
      .where(and(eq(flagSchedules.status, 'pending'), lte(dueAt, sql`now()`)))
      .orderBy(asc(dueAt), asc(flagSchedules.createdAt))
      .limit(options.batchSize)
      .for('update', { skipLocked: true });
    result.claimed = due.length;
    for (const schedule of due) {
      if (await hasEarlierPending(tx, schedule)) {
        result.deferred++;
        continue;
      }
      const recordedBefore = audit.recorded.length;
      try {
        await tx.transaction((savepoint) => applyOne(savepoint as unknown as Tx, audit, schedule));
        result.applied++;
      } catch (error) {
        // The savepoint rolled back; forget any event it recorded so nothing is logged that did not happen.
        audit.recorded.length = recordedBefore;
        result[await recordFailure(tx, audit, schedule, error, options)]++;
      }
    }
  });
  return result;
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
    if (batch.claimed === 0) break;
    if (batch.deferred === batch.claimed) {
      // Everything claimable waits on schedules another worker is applying: give it a moment.
      idle++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    } else if (batch.claimed < options.batchSize && batch.deferred === 0) {
      break;
    }
  }
  summary.durationMs = Math.round((performance.now() - started) * 100) / 100;
  if (summary.applied) schedulesProcessed.inc({ outcome: 'applied' }, summary.applied);
  if (summary.retried) schedulesProcessed.inc({ outcome: 'retried' }, summary.retried);
  if (summary.failed) schedulesProcessed.inc({ outcome: 'failed' }, summary.failed);
  return summary;
}
