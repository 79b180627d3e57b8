import { type RunDueSummary, type ScheduleUpdates, scheduleChangesSchema } from '@flagline/core';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { AuditInput, AuditRecorder } from '../audit/recorder';
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

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * The claimed schedules that must wait: an earlier-due schedule of the same flag and environment is still pending
 * outside this batch (held by another worker). Earlier ones inside the batch are applied first, in order.
 * Such a schedule comes before the batch's last one in due order, so the pending-due index finds the few candidates
 * (those skipped as locked) without reading the rest of a backlog.
 */
async function waitingOnOthers(tx: Tx, claimed: ScheduleRow[]): Promise<Set<string>> {
  const ids = JSON.stringify(claimed.map((schedule) => schedule.id));
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`
      with claimed as materialized (
        select id, flag_id, environment, coalesce(next_retry_at, scheduled_at) as due, created_at
        from flag_schedules
        where id = any(array(select value::uuid from jsonb_array_elements_text(${ids}::jsonb)))
      ),
      others as materialized (
        select id, flag_id, environment, coalesce(next_retry_at, scheduled_at) as due, created_at
        from flag_schedules
        where status = 'pending'
          and (coalesce(next_retry_at, scheduled_at), created_at)
            < (select due, created_at from claimed order by due desc, created_at desc limit 1)
          and id not in (select id from claimed)
      )
      select distinct c.id from claimed c
      join others o on o.flag_id = c.flag_id and o.environment = c.environment
        and (o.due, o.created_at) < (c.due, c.created_at)`),
  );
  return new Set(rows.map((row) => row.id));
}

function invalidUpdates(issues: { message: string }[]): PermanentFailure {
  return new PermanentFailure(`stored updates are not valid: ${issues.map((i) => i.message).join('; ')}`);
}

/** Applies one schedule: flag state, schedule status and audit event, all or nothing (inside a savepoint). */
async function applyOne(tx: Tx, audit: AuditRecorder, schedule: ScheduleRow): Promise<void> {
  const parsed = scheduleChangesSchema.safeParse(schedule.updates);
  if (!parsed.success) throw invalidUpdates(parsed.error.issues);
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
  observeLateness(schedule, appliedAt);
  await audit.record(
    appliedEvent(
      schedule,
      updates,
      appliedAt,
      { enabled: state.enabled, rolloutPercentage: state.rolloutPercentage, version: state.version },
      { ...after, version: updatedState?.version ?? state.version + 1 },
    ),
  );
}

type FlagStateSnapshot = { enabled: boolean; rolloutPercentage: number; version: number };

/** The flag_schedule.applied event, one shape whether the schedule was applied alone or in a batch. */
function appliedEvent(
  schedule: ScheduleRow,
  updates: ScheduleUpdates,
  appliedAt: Date,
  before: FlagStateSnapshot,
  after: FlagStateSnapshot,
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
    },
    before,
    after,
  };
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

interface StateRow {
  flag_id: string;
  environment: string;
  enabled: boolean;
  rollout_percentage: number;
  version: number;
}

/**
 * The fast path for a batch: a handful of statements for all of `ready` (in due order, none waiting on another
 * worker) instead of a handful per schedule. It locks the flag states, folds each flag's schedules in order (versions
 * +1 per schedule, as one by one), writes the final states, marks the schedules applied and records their events in
 * one go: the same rows and events as applying them one at a time. Permanent failures are recorded as usual; any
 * database error throws, and the caller rolls the savepoint back and goes one at a time.
 */
async function applyTogether(
  tx: Tx,
  audit: AuditRecorder,
  ready: ScheduleRow[],
  options: ApplyOptions,
): Promise<{ applied: ScheduleRow[]; appliedAt: Date; failed: number }> {
  const key = (flagId: string, environment: string) => `${flagId} ${environment}`;
  const valid: { schedule: ScheduleRow & { flagId: string }; updates: ScheduleUpdates }[] = [];
  const permanent: { schedule: ScheduleRow; error: PermanentFailure }[] = [];
  for (const schedule of ready) {
    const parsed = scheduleChangesSchema.safeParse(schedule.updates);
    const { flagId } = schedule;
    if (!parsed.success) permanent.push({ schedule, error: invalidUpdates(parsed.error.issues) });
    else if (!flagId)
      permanent.push({ schedule, error: new PermanentFailure(`flag "${schedule.flagKey}" no longer exists`) });
    else valid.push({ schedule: { ...schedule, flagId }, updates: parsed.data });
  }
  const wanted = new Map(valid.map(({ schedule }) => [key(schedule.flagId, schedule.environment), schedule]));
  const keys = JSON.stringify([...wanted.values()].map((s) => ({ flag_id: s.flagId, environment: s.environment })));
  // In key order, so two transactions locking overlapping sets cannot deadlock each other.
  const locked = rowsOf<StateRow>(
    await tx.execute(sql`
      select s.flag_id, s.environment, s.enabled, s.rollout_percentage, s.version
      from flag_states s
      join jsonb_to_recordset(${keys}::jsonb) as k(flag_id uuid, environment text)
        on s.flag_id = k.flag_id and s.environment = k.environment
      order by s.flag_id, s.environment
      for update of s`),
  );
  const states = new Map(
    locked.map((row) => [
      key(row.flag_id, row.environment),
      { enabled: row.enabled, rolloutPercentage: row.rollout_percentage, version: row.version },
    ]),
  );
  const appliedAt = new Date();
  const applied: ScheduleRow[] = [];
  const events: AuditInput[] = [];
  const changed = new Set<string>();
  for (const { schedule, updates } of valid) {
    const stateKey = key(schedule.flagId, schedule.environment);
    const state = states.get(stateKey);
    if (!state) {
      permanent.push({
        schedule,
        error: new PermanentFailure(`flag "${schedule.flagKey}" has no state in environment "${schedule.environment}"`),
      });
      continue;
    }
    const after = {
      enabled: updates.enabled ?? state.enabled,
      rolloutPercentage: updates.rolloutPercentage ?? state.rolloutPercentage,
    };
    const version = state.version + 1;
    events.push(appliedEvent(schedule, updates, appliedAt, { ...state }, { ...after, version }));
    states.set(stateKey, { ...after, version });
    changed.add(stateKey);
    applied.push(schedule);
  }
  if (applied.length > 0) {
    const at = appliedAt.toISOString();
    const finalStates = JSON.stringify(
      [...changed].map((stateKey) => {
        const schedule = wanted.get(stateKey);
        const state = states.get(stateKey);
        return {
          flag_id: schedule?.flagId,
          environment: schedule?.environment,
          enabled: state?.enabled,
          rollout_percentage: state?.rolloutPercentage,
          version: state?.version,
        };
      }),
    );
    const updatedStates = rowsOf<{ flag_id: string }>(
      await tx.execute(sql`
        update flag_states s
        set enabled = v.enabled, rollout_percentage = v.rollout_percentage, version = v.version,
            updated_at = ${at}::timestamptz
        from jsonb_to_recordset(${finalStates}::jsonb)
          as v(flag_id uuid, environment text, enabled boolean, rollout_percentage integer, version integer)
        where s.flag_id = v.flag_id and s.environment = v.environment
        returning s.flag_id`),
    );
    if (updatedStates.length !== changed.size) throw new Error('a locked flag state vanished while being updated');
    const ids = JSON.stringify(applied.map((schedule) => schedule.id));
    const marked = rowsOf<{ id: string }>(
      await tx.execute(sql`
        update flag_schedules
        set status = 'applied', applied_at = ${at}::timestamptz, updated_at = ${at}::timestamptz,
            retry_count = 0, next_retry_at = null, last_error = null
        where status = 'pending' and id in (select value::uuid from jsonb_array_elements_text(${ids}::jsonb))
        returning id`),
    );
    if (marked.length !== applied.length) throw new Error('a claimed schedule vanished while being applied');
    await audit.recordMany(events);
  }
  for (const { schedule, error } of permanent) await recordFailure(tx, audit, schedule, error, options);
  return { applied, appliedAt, failed: permanent.length };
}

function observeLateness(schedule: ScheduleRow, appliedAt: Date): void {
  scheduleLateness.observe(
    Math.max(0, appliedAt.getTime() - (schedule.nextRetryAt ?? schedule.scheduledAt).getTime()) / 1000,
  );
}

/** With a flag's key: the transaction-scoped lock that makes one worker at a time the applier of that flag's schedules. */
const FLAG_LOCK_SPACE = 4747_0003;

/**
 * Locks up to `limit` due schedules (all of them, or those of `only`) in due order, skipping rows others hold and the
 * flags another worker is applying: workers split a backlog by flag, instead of row by row (which would leave each
 * holding schedules that must wait for the other's).
 */
function claimDue(tx: Tx, limit: number, only?: string[]): Promise<ScheduleRow[]> {
  return tx
    .select()
    .from(flagSchedules)
    .where(
      and(
        eq(flagSchedules.status, 'pending'),
        lte(dueAt, sql`now()`),
        only ? inArray(flagSchedules.id, only) : undefined,
        sql`pg_try_advisory_xact_lock(${FLAG_LOCK_SPACE}, hashtext(${flagSchedules.flagKey} || ' ' || ${flagSchedules.environment}))`,
      ),
    )
    .orderBy(asc(dueAt), asc(flagSchedules.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

async function anythingDue(tx: Tx): Promise<boolean> {
  const [row] = await tx
    .select({ id: flagSchedules.id })
    .from(flagSchedules)
    .where(and(eq(flagSchedules.status, 'pending'), lte(dueAt, sql`now()`)))
    .limit(1);
  return row !== undefined;
}

/**
 * Applies claimed schedules (in due order, none waiting on another worker): together if there are several, and if
 * that fails, one at a time, each in its own savepoint, so one schedule's failure is retried or failed on its own and
 * the rest still apply.
 */
async function applyClaimed(
  tx: Tx,
  audit: AuditRecorder,
  ready: ScheduleRow[],
  options: ApplyOptions,
  logger: UnitOfWorkDeps['logger'],
): Promise<Pick<BatchResult, 'applied' | 'retried' | 'failed'>> {
  const outcome = { applied: 0, retried: 0, failed: 0 };
  if (ready.length > 1) {
    const recordedBefore = audit.recorded.length;
    try {
      const together = await tx.transaction((savepoint) =>
        applyTogether(savepoint as unknown as Tx, audit, ready, options),
      );
      for (const schedule of together.applied) observeLateness(schedule, together.appliedAt);
      return { applied: together.applied.length, retried: 0, failed: together.failed };
    } catch (error) {
      audit.recorded.length = recordedBefore;
      logger.warn({ err: error, schedules: ready.length }, 'applying the batch together failed; one at a time');
    }
  }
  for (const schedule of ready) {
    const recordedBefore = audit.recorded.length;
    try {
      await tx.transaction((savepoint) => applyOne(savepoint as unknown as Tx, audit, schedule));
      outcome.applied++;
    } catch (error) {
      // The savepoint rolled back; forget any event it recorded so nothing is logged that did not happen.
      audit.recorded.length = recordedBefore;
      outcome[await recordFailure(tx, audit, schedule, error, options)]++;
    }
  }
  return outcome;
}

/**
 * Claims up to batchSize due schedules with FOR UPDATE SKIP LOCKED and applies them in due order, then creation
 * order, in ONE transaction: flag changes, statuses, audit events, the config version bump and the change notification
 * commit together or not at all, so any number of workers can run and a crash applies nothing twice.
 *
 * Workers split what is due by flag (see claimDue). A claimed schedule whose flag has an earlier one held elsewhere
 * (by a transaction cancelling it, say) must wait. It is not held meanwhile: that transaction ends without applying
 * anything and a second one claims only the rest, so whoever holds the earlier one can take the waiting ones next.
 */
export async function applyDueBatch(deps: UnitOfWorkDeps, options: ApplyOptions): Promise<BatchResult> {
  const result: BatchResult = { claimed: 0, applied: 0, retried: 0, failed: 0, deferred: 0, othersBusy: false };
  let only: string[] | undefined;
  for (let round = 0; round < 2; round++) {
    only = await runChange(deps, SYSTEM_CONTEXT, async (tx, audit) => {
      const due = await claimDue(tx, options.batchSize, only);
      if (round === 0) result.claimed = due.length;
      if (due.length === 0) {
        result.deferred = result.claimed;
        if (round === 0) result.othersBusy = await anythingDue(tx);
        return undefined;
      }
      const waiting = await waitingOnOthers(tx, due);
      const ready = due.filter((schedule) => !waiting.has(schedule.id));
      if (round === 0 && waiting.size > 0) {
        result.deferred = result.claimed;
        return ready.length > 0 ? ready.map((schedule) => schedule.id) : undefined;
      }
      const outcome = await applyClaimed(tx, audit, ready, options, deps.logger);
      result.applied += outcome.applied;
      result.retried += outcome.retried;
      result.failed += outcome.failed;
      result.deferred = result.claimed - ready.length;
      return undefined;
    });
    if (!only) break;
  }
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
    if (batch.claimed === 0 && !batch.othersBusy) break;
    if (batch.deferred === batch.claimed) {
      // Everything due is held by other workers, or waits on schedules they are applying: give them a moment.
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
