import type {
  Conflict,
  CreatePlanBody,
  OnConflict,
  Plan,
  PlanStatus,
  PlanWithConflicts,
  ScheduleUpdates,
} from '@flagline/core';
import type { Db, Executor } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { requireFlagByKey } from '../flags/flag-store';
import { assertNoProblems } from '../flags/targeting-validation';
import { scheduledChangeProblems } from '../schedules/schedule-service';
import { notifySchedulers, type ScheduleRow, toSchedule } from '../schedules/schedule-store';
import { lockFlagStatesOf } from '../schedules/sql/lock-flag-states';
import { AppError, notFound } from '../shared/errors';
import { pendingConflictsUnlessRejected } from './conflicts';
import {
  findPlanOfFlag,
  insertPlan,
  insertSteps,
  listPlansOfFlag,
  livePlansOfFlag,
  moveSteps,
  type PlanRow,
  setPlanStatus,
  stepsOfPlans,
} from './plan-store';

const DAY_MS = 86_400_000;

export function toPlan(row: PlanRow, steps: ScheduleRow[]): Plan {
  return {
    id: row.id,
    flagKey: row.flagKey,
    environment: row.environment,
    name: row.name,
    status: row.status,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    steps: steps.map(toSchedule),
  };
}

function invalidStep(index: number, reason: string): AppError {
  const field = `steps.${index}.scheduledAt`;
  return new AppError('VALIDATION_FAILED', `Invalid body: ${field}: ${reason}.`, {
    location: 'body',
    fields: { [field]: reason },
  });
}

/** Every step in the future and within the horizon (the schema already has them in increasing order). */
function stepTimes(body: CreatePlanBody, maxHorizonDays: number): { scheduledAt: Date; updates: ScheduleUpdates }[] {
  const now = Date.now();
  return body.steps.map((step, index) => {
    const scheduledAt = new Date(step.scheduledAt);
    if (scheduledAt.getTime() <= now) throw invalidStep(index, 'must be in the future');
    if (scheduledAt.getTime() > now + maxHorizonDays * DAY_MS) {
      throw invalidStep(index, `must be at most ${maxHorizonDays} days ahead`);
    }
    return { scheduledAt, updates: step.updates };
  });
}

export interface PlanCreation {
  flagKey: string;
  environment: string;
  body: CreatePlanBody;
  maxHorizonDays: number;
  conflictWindowMinutes: number;
  onConflict: OnConflict;
}

/** The plan and all its steps, or (any step invalid, or a conflict rejected) nothing: the caller's transaction. */
export async function createPlanIn(scope: ChangeScope, input: PlanCreation): Promise<PlanWithConflicts> {
  const { tx, audit, actor } = scope;
  const steps = stepTimes(input.body, input.maxHorizonDays);
  await requireEnvironment(tx, input.environment);
  const flag = await requireFlagByKey(tx, input.flagKey);
  for (const [index, step] of steps.entries()) {
    const prefix = `steps.${index}.updates.`;
    assertNoProblems(await scheduledChangeProblems(tx, flag, input.environment, step.updates, prefix));
  }
  const conflicts = await pendingConflictsUnlessRejected(
    tx,
    { flagId: flag.id, environment: input.environment },
    steps,
    { windowMinutes: input.conflictWindowMinutes, onConflict: input.onConflict },
  );
  const plan = await insertPlan(tx, {
    flagId: flag.id,
    flagKey: input.flagKey,
    environment: input.environment,
    name: input.body.name ?? null,
    createdBy: actor.id,
    createdByEmail: actor.email,
  });
  const rows = await insertSteps(tx, plan, steps);
  const created = toPlan(plan, rows);
  await audit.recordMany(
    created.steps.map((step) => ({
      type: 'flag_schedule.created' as const,
      environment: input.environment,
      flagKey: input.flagKey,
      scheduleId: step.id,
      data: {
        scheduleId: step.id,
        flagKey: input.flagKey,
        scheduledAt: step.scheduledAt,
        updates: step.updates,
        adminUserId: actor.id,
        adminEmail: actor.email,
        planId: plan.id,
      },
      before: null,
      after: step,
    })),
  );
  await audit.record(planEvent('plan.created', plan, rows, { scheduleIds: rows.map((row) => row.id) }, created));
  await notifySchedulers(tx);
  return { plan: created, conflicts };
}

type PlanEventType = 'plan.created' | 'plan.paused' | 'plan.resumed' | 'plan.cancelled' | 'plan.completed';

/** One plan.* event: the plan as a unit, with the steps it moved. */
export function planEvent(
  type: PlanEventType,
  plan: PlanRow,
  steps: ScheduleRow[],
  extra: { reason?: string; scheduleIds?: string[]; skippedScheduleIds?: string[] },
  after: Record<string, unknown>,
  before: Record<string, unknown> | null = null,
) {
  return {
    type,
    environment: plan.environment,
    flagKey: plan.flagKey,
    data: { planId: plan.id, flagKey: plan.flagKey, name: plan.name, steps: steps.length, ...extra },
    before,
    after,
  };
}

export async function listPlans(
  db: Db,
  input: { flagKey: string; environment: string; status: PlanStatus | undefined },
): Promise<Plan[]> {
  await requireEnvironment(db, input.environment);
  await requireFlagByKey(db, input.flagKey);
  const plans = await listPlansOfFlag(db, input);
  const steps = await stepsOfPlans(
    db,
    plans.map((plan) => plan.id),
  );
  return plans.map((plan) =>
    toPlan(
      plan,
      steps.filter((step) => step.planId === plan.id),
    ),
  );
}

async function requirePlan(executor: Executor, flagKey: string, id: string, lock = false): Promise<PlanRow> {
  const plan = await findPlanOfFlag(executor, flagKey, id, lock);
  if (!plan) throw notFound(`Plan "${id}" of flag "${flagKey}"`);
  return plan;
}

export async function getPlan(db: Db, flagKey: string, id: string): Promise<Plan> {
  const plan = await requirePlan(db, flagKey, id);
  return toPlan(plan, await stepsOfPlans(db, [plan.id]));
}

export type PlanAction = 'pause' | 'resume' | 'cancel';

const ALLOWED_FROM: Record<PlanAction, PlanStatus[]> = {
  pause: ['active'],
  resume: ['paused'],
  cancel: ['active', 'paused'],
};

/**
 * Pauses, resumes or cancels a plan as a unit in one transaction with one plan.* event. Locks in the schedules' order
 * (the flag state, then the plan and its steps): a worker applying a step meanwhile finishes first.
 */
export async function planAction(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: {
    action: PlanAction;
    flagKey: string;
    planId: string;
    onConflict: OnConflict;
    conflictWindowMinutes: number;
  },
): Promise<PlanWithConflicts> {
  return runChange(deps, context, async (scope) => {
    const found = await requirePlan(scope.tx, input.flagKey, input.planId);
    if (found.flagId) await lockFlagStatesOf(scope.tx, { flagId: found.flagId });
    const plan = await requirePlan(scope.tx, input.flagKey, input.planId, true);
    if (!ALLOWED_FROM[input.action].includes(plan.status)) {
      throw new AppError(
        'INVALID_STATE',
        `Plan "${plan.id}" is ${plan.status}; ${input.action} needs it ${ALLOWED_FROM[input.action].join(' or ')}.`,
        { status: plan.status },
      );
    }
    const conflicts = await ACTIONS[input.action](scope, plan, input);
    const result = toPlan(
      await requirePlan(scope.tx, input.flagKey, input.planId),
      await stepsOfPlans(scope.tx, [plan.id]),
    );
    await notifySchedulers(scope.tx);
    return { plan: result, conflicts };
  });
}

type ActionInput = { onConflict: OnConflict; conflictWindowMinutes: number };

const ACTIONS: Record<PlanAction, (scope: ChangeScope, plan: PlanRow, input: ActionInput) => Promise<Conflict[]>> = {
  pause: async (scope, plan) => {
    await pausePlanIn(scope, plan, 'paused_by_admin');
    return [];
  },
  resume: resumePlanIn,
  cancel: async (scope, plan) => {
    await cancelPlanIn(scope, plan, 'cancelled_by_admin');
    return [];
  },
};

/** Cancels a plan: its pending and paused steps are cancelled with it; one plan.cancelled event. */
async function cancelPlanIn({ tx, audit, actor }: ChangeScope, plan: PlanRow, reason: string): Promise<ScheduleRow[]> {
  const now = new Date();
  const steps = await moveSteps(tx, plan.id, ['pending', 'paused'], {
    status: 'cancelled',
    cancelledBy: actor.id,
    cancelledAt: now,
    updatedAt: now,
  });
  const cancelled = await setPlanStatus(tx, plan.id, 'cancelled', now);
  const scheduleIds = steps.map((step) => step.id);
  await audit.record(
    planEvent(
      'plan.cancelled',
      cancelled,
      steps,
      { reason, scheduleIds },
      { status: 'cancelled' },
      { status: plan.status },
    ),
  );
  return steps;
}

/** A flag being deleted: its active and paused plans are cancelled (their steps with them); returns those steps. */
export async function cancelPlansOfFlag(scope: ChangeScope, flagId: string, reason: string): Promise<ScheduleRow[]> {
  await lockFlagStatesOf(scope.tx, { flagId });
  const steps: ScheduleRow[] = [];
  for (const plan of await livePlansOfFlag(scope.tx, flagId)) steps.push(...(await cancelPlanIn(scope, plan, reason)));
  return steps;
}

/** Pauses an active plan: its pending steps are paused (off the due queue). Also what a failed step does. */
export async function pausePlanIn({ tx, audit }: ChangeScope, plan: PlanRow, reason: string): Promise<void> {
  const now = new Date();
  const steps = await moveSteps(tx, plan.id, ['pending'], { status: 'paused', nextRetryAt: null, updatedAt: now });
  const paused = await setPlanStatus(tx, plan.id, 'paused', now);
  const scheduleIds = steps.map((step) => step.id);
  await audit.record(
    planEvent('plan.paused', paused, steps, { reason, scheduleIds }, { status: 'paused' }, { status: plan.status }),
  );
}

/**
 * Resumes a paused plan. Of the steps whose time passed while it was paused only the latest applies (at once, like a
 * recurring schedule after downtime): it carries the state the plan meant to be in by now; the earlier ones are
 * marked skipped. Later steps keep their times.
 */
async function resumePlanIn(scope: ChangeScope, plan: PlanRow, input: ActionInput): Promise<Conflict[]> {
  const { tx, audit } = scope;
  const now = new Date();
  const paused = (await stepsOfPlans(tx, [plan.id])).filter((step) => step.status === 'paused');
  const overdue = paused.filter((step) => step.scheduledAt.getTime() <= now.getTime());
  const skipped = overdue.slice(0, -1);
  const resumed = paused.filter((step) => !skipped.includes(step));
  const conflicts = plan.flagId
    ? await pendingConflictsUnlessRejected(
        tx,
        { flagId: plan.flagId, environment: plan.environment, exceptPlanId: plan.id },
        resumed.map((step) => ({
          scheduledAt: step.scheduledAt < now ? now : step.scheduledAt,
          updates: step.updates as ScheduleUpdates,
        })),
        { windowMinutes: input.conflictWindowMinutes, onConflict: input.onConflict },
      )
    : [];
  const skippedIds = skipped.map((step) => step.id);
  if (skippedIds.length > 0)
    await moveSteps(tx, plan.id, ['paused'], { status: 'skipped', updatedAt: now }, skippedIds);
  await moveSteps(tx, plan.id, ['paused'], { status: 'pending', updatedAt: now });
  // A plan paused by the failure of its last step has nothing left to apply: resuming completes it.
  const active = await setPlanStatus(tx, plan.id, resumed.length > 0 ? 'active' : 'completed', now);
  await audit.record(
    planEvent(
      'plan.resumed',
      active,
      resumed,
      { scheduleIds: resumed.map((step) => step.id), skippedScheduleIds: skippedIds },
      { status: 'active' },
      { status: 'paused' },
    ),
  );
  return conflicts;
}
