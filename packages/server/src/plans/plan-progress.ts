import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { rolloutPlans } from '../db/schema';
import type { ChangeScope } from '../db/unit-of-work';
import type { ScheduleRow } from '../schedules/schedule-store';
import { pausePlanIn, planEvent } from './plan-service';
import { hasStepsLeft, setPlanStatus, stepsOfPlans } from './plan-store';

/** What the worker does for plans around applying their steps, in its transaction (it holds the flag state). */

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * Plan steps of a claimed batch that must wait: an earlier step of their plan has not applied (it waits to retry, or
 * failed in this very batch), or their plan is no longer active. They stay as they are: the earlier step's retry
 * deferred them, and a failure or pause moved them to paused, so they are not claimed again before their turn.
 */
export async function heldBackSteps(
  tx: Tx,
  claimed: ScheduleRow[],
  failedInBatch: ScheduleRow[],
): Promise<Set<string>> {
  const held = new Set<string>();
  const batchIds = claimed.map((row) => row.id);
  for (const step of claimed) {
    if (step.planId === null || step.planStep === null) continue;
    const failedBefore = failedInBatch.some(
      (failed) => failed.planId === step.planId && (failed.planStep ?? 0) < (step.planStep ?? 0),
    );
    if (failedBefore) {
      held.add(step.id);
      continue;
    }
    const [blocked] = rowsOf<{ blocked: boolean }>(
      await tx.execute(sql`
        select exists (
          select 1 from flag_schedules e
          where e.plan_id = ${step.planId} and e.plan_step < ${step.planStep}
            and e.status in ('pending', 'paused', 'failed')
            and e.id <> all(${`{${batchIds.join(',')}}`}::uuid[])
        ) or exists (select 1 from rollout_plans p where p.id = ${step.planId} and p.status <> 'active') as blocked`),
    );
    if (blocked?.blocked) held.add(step.id);
  }
  return held;
}

async function lockedPlan(tx: Tx, planId: string) {
  const [plan] = await tx.select().from(rolloutPlans).where(eq(rolloutPlans.id, planId)).for('update');
  return plan;
}

/**
 * After steps applied or were cancelled: a plan with no step left to apply is over — completed when any step applied
 * (one plan.completed event), cancelled when every step was cancelled one by one before its time (plan.cancelled).
 */
export async function completeFinishedPlans(scope: ChangeScope, touched: ScheduleRow[]): Promise<void> {
  const planIds = [...new Set(touched.flatMap((row) => (row.planId ? [row.planId] : [])))];
  for (const planId of planIds) {
    if (await hasStepsLeft(scope.tx, planId)) continue;
    const plan = await lockedPlan(scope.tx, planId);
    if (plan?.status !== 'active') continue;
    const steps = await stepsOfPlans(scope.tx, [planId]);
    const status = steps.some((step) => step.status === 'applied') ? 'completed' : 'cancelled';
    const ended = await setPlanStatus(scope.tx, planId, status, new Date());
    await scope.audit.record(
      planEvent(
        status === 'completed' ? 'plan.completed' : 'plan.cancelled',
        ended,
        steps,
        {},
        { status },
        { status: 'active' },
      ),
    );
  }
}

/** A step failed for good: its plan stops (paused, its later steps with it) until an admin resumes or cancels it. */
export async function pausePlanOfFailedStep(scope: ChangeScope, step: ScheduleRow): Promise<void> {
  if (!step.planId) return;
  const plan = await lockedPlan(scope.tx, step.planId);
  if (plan?.status === 'active') await pausePlanIn(scope, plan, `step_failed:${step.id}`);
}
