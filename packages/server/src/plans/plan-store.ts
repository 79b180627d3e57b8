import type { PlanStatus, ScheduleStatus, ScheduleUpdates } from '@flagline/core';
import { and, asc, desc, eq, gt, inArray, lt, notInArray, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../db/client';
import { flagSchedules, flags, rolloutPlans } from '../db/schema';
import type { ScheduleRow } from '../schedules/schedule-store';
import { isUuid } from '../shared/ids';
import type { ConflictScope } from './conflicts';

export type PlanRow = typeof rolloutPlans.$inferSelect;

export async function insertPlan(
  tx: Tx,
  values: {
    flagId: string;
    flagKey: string;
    environment: string;
    name: string | null;
    createdBy: string;
    createdByEmail: string | null;
  },
): Promise<PlanRow> {
  const [row] = await tx.insert(rolloutPlans).values(values).returning();
  if (!row) throw new Error('plan insert returned no row');
  return row;
}

/** All steps in one statement, in step order. */
export async function insertSteps(
  tx: Tx,
  plan: PlanRow,
  steps: { scheduledAt: Date; updates: ScheduleUpdates }[],
): Promise<ScheduleRow[]> {
  const rows = await tx
    .insert(flagSchedules)
    .values(
      steps.map((step, index) => ({
        flagId: plan.flagId,
        flagKey: plan.flagKey,
        environment: plan.environment,
        scheduledAt: step.scheduledAt,
        updates: step.updates,
        createdBy: plan.createdBy,
        createdByEmail: plan.createdByEmail,
        planId: plan.id,
        planStep: index,
      })),
    )
    .returning();
  return rows.sort((a, b) => (a.planStep ?? 0) - (b.planStep ?? 0));
}

/** The plan with this id if it belongs to the flag (locked for update when asked); undefined for any other id. */
export async function findPlanOfFlag(
  executor: Executor,
  flagKey: string,
  id: string,
  lock = false,
): Promise<PlanRow | undefined> {
  if (!isUuid(id)) return undefined;
  const query = executor
    .select()
    .from(rolloutPlans)
    .where(and(eq(rolloutPlans.id, id), eq(rolloutPlans.flagKey, flagKey)));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

/** The flag's active and paused plans, locked, in creation order. */
export async function livePlansOfFlag(tx: Tx, flagId: string): Promise<PlanRow[]> {
  return tx
    .select()
    .from(rolloutPlans)
    .where(and(eq(rolloutPlans.flagId, flagId), inArray(rolloutPlans.status, ['active', 'paused'])))
    .orderBy(asc(rolloutPlans.createdAt), asc(rolloutPlans.id))
    .for('update');
}

export async function listPlansOfFlag(
  executor: Executor,
  where: { flagKey: string; environment: string; status: PlanStatus | undefined },
): Promise<PlanRow[]> {
  return executor
    .select()
    .from(rolloutPlans)
    .where(
      and(
        eq(rolloutPlans.flagKey, where.flagKey),
        eq(rolloutPlans.environment, where.environment),
        where.status ? eq(rolloutPlans.status, where.status) : undefined,
      ),
    )
    .orderBy(desc(rolloutPlans.createdAt), desc(rolloutPlans.id));
}

/** The steps of these plans, in plan and step order. */
export async function stepsOfPlans(executor: Executor, planIds: string[]): Promise<ScheduleRow[]> {
  if (planIds.length === 0) return [];
  return executor
    .select()
    .from(flagSchedules)
    .where(inArray(flagSchedules.planId, planIds))
    .orderBy(asc(flagSchedules.planId), asc(flagSchedules.planStep));
}

export async function setPlanStatus(tx: Tx, id: string, status: PlanStatus, at: Date): Promise<PlanRow> {
  const [row] = await tx.update(rolloutPlans).set({ status, updatedAt: at }).where(eq(rolloutPlans.id, id)).returning();
  if (!row) throw new Error(`plan ${id} vanished while locked`);
  return row;
}

/** Moves the plan's steps in `from` to `to` (and sets more columns); returns the rows moved. */
export async function moveSteps(
  tx: Tx,
  planId: string,
  from: ScheduleStatus[],
  set: Partial<Pick<ScheduleRow, 'status' | 'nextRetryAt' | 'cancelledBy' | 'cancelledAt' | 'updatedAt'>>,
  only?: string[],
): Promise<ScheduleRow[]> {
  return tx
    .update(flagSchedules)
    .set(set)
    .where(
      and(
        eq(flagSchedules.planId, planId),
        inArray(flagSchedules.status, from),
        only ? inArray(flagSchedules.id, only) : undefined,
      ),
    )
    .returning();
}

/** Whether any step of the plan is still to apply (pending, or paused). */
export async function hasStepsLeft(tx: Tx, planId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: flagSchedules.id })
    .from(flagSchedules)
    .where(and(eq(flagSchedules.planId, planId), inArray(flagSchedules.status, ['pending', 'paused'])))
    .limit(1);
  return row !== undefined;
}

/**
 * Keeps a plan in order while a step waits to retry: its later pending steps due before the retry wait until just
 * after it (a millisecond per step apart), so a step never overtakes the one before it.
 */
export async function deferLaterSteps(tx: Tx, step: ScheduleRow, retryAt: Date): Promise<void> {
  if (step.planId === null || step.planStep === null) return;
  await tx
    .update(flagSchedules)
    .set({
      nextRetryAt: sql`${retryAt.toISOString()}::timestamptz + (${flagSchedules.planStep} - ${step.planStep}) * interval '1 millisecond'`,
    })
    .where(
      and(
        eq(flagSchedules.planId, step.planId),
        gt(flagSchedules.planStep, step.planStep),
        eq(flagSchedules.status, 'pending'),
        lt(
          sql`coalesce(${flagSchedules.nextRetryAt}, ${flagSchedules.scheduledAt})`,
          sql`${retryAt.toISOString()}::timestamptz + (${flagSchedules.planStep} - ${step.planStep}) * interval '1 millisecond'`,
        ),
      ),
    );
}

/** Pending schedules of one flag environment, except those of `exceptPlanId`, for the conflict checks. */
export async function pendingSchedulesOf(executor: Executor, where: ConflictScope): Promise<ScheduleRow[]> {
  return executor
    .select()
    .from(flagSchedules)
    .where(
      and(
        'flagId' in where
          ? eq(flagSchedules.flagId, where.flagId)
          : sql`${flagSchedules.flagId} = (select ${flags.id} from ${flags} where ${flags.key} = ${where.flagKey})`,
        eq(flagSchedules.environment, where.environment),
        eq(flagSchedules.status, 'pending'),
        where.exceptPlanId ? sql`${flagSchedules.planId} is distinct from ${where.exceptPlanId}::uuid` : undefined,
        where.exceptIds && where.exceptIds.length > 0 ? notInArray(flagSchedules.id, where.exceptIds) : undefined,
      ),
    )
    .orderBy(asc(flagSchedules.scheduledAt));
}
