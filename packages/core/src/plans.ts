import { z } from 'zod';
import { environmentKeySchema, environmentQuerySchema, flagKeySchema, timestampSchema } from './common';
import { flagViewSchema } from './flags';
import { scheduleChangesSchema, scheduleSchema } from './schedules';
import { flagTargetingSchema } from './targeting-api';

export const MAX_PLAN_STEPS = 50;

/** The fields of a flag environment a schedule, a plan step or a manual change can touch. */
export const conflictFieldSchema = z.enum([
  'enabled',
  'rolloutPercentage',
  'offVariant',
  'rules',
  'fallthrough',
  'overrides',
]);
export type ConflictField = z.infer<typeof conflictFieldSchema>;

/**
 * A pending schedule that collides with the change being made: it touches the same fields of the same flag environment
 * within SCHEDULE_CONFLICT_WINDOW_MINUTES of a new schedule or step (`pending-schedule`), or it will overwrite the
 * fields a manual change just set (`overwrites-manual-change`).
 */
export const conflictSchema = z
  .object({
    kind: z.enum(['pending-schedule', 'overwrites-manual-change']),
    scheduleId: z.uuid(),
    planId: z.uuid().optional().meta({ description: 'Set when the pending schedule is a step of a plan.' }),
    scheduledAt: timestampSchema,
    fields: z.array(conflictFieldSchema).min(1),
  })
  .meta({ id: 'ScheduleConflict' });
export type Conflict = z.infer<typeof conflictSchema>;

/** `reject`: answer 409 SCHEDULE_CONFLICT listing the conflicts and change nothing. Default: succeed and list them. */
export const onConflictSchema = z
  .enum(['allow', 'reject'])
  .optional()
  .meta({ description: 'reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts.' });
export type OnConflict = z.infer<typeof onConflictSchema>;

export const onConflictQuerySchema = z.object({ onConflict: onConflictSchema });
export const planWriteQuerySchema = environmentQuerySchema.extend({ onConflict: onConflictSchema });

export const planStatusSchema = z.enum(['active', 'paused', 'completed', 'cancelled']).meta({
  description:
    'active: steps apply at their times. paused: no step applies (also after a step failed). completed: the last step applied. cancelled: deleted; its pending steps were cancelled.',
});
export type PlanStatus = z.infer<typeof planStatusSchema>;

export const planStepBodySchema = z.strictObject({
  scheduledAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset' })
    .meta({ description: 'In the future, after the previous step, at most SCHEDULE_MAX_HORIZON_DAYS ahead.' }),
  updates: scheduleChangesSchema,
});
export type PlanStepBody = z.infer<typeof planStepBodySchema>;

export const createPlanBodySchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    steps: z.array(planStepBodySchema).min(1).max(MAX_PLAN_STEPS),
  })
  .superRefine((body, ctx) => {
    body.steps.forEach((step, i) => {
      const previous = body.steps[i - 1];
      if (previous && Date.parse(step.scheduledAt) <= Date.parse(previous.scheduledAt)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'scheduledAt'],
          message: 'must be after the previous step',
        });
      }
    });
  })
  .meta({ id: 'CreatePlanBody' });
export type CreatePlanBody = z.infer<typeof createPlanBodySchema>;

export const planSchema = z
  .object({
    id: z.uuid(),
    flagKey: flagKeySchema,
    environment: environmentKeySchema,
    name: z.string().nullable(),
    status: planStatusSchema,
    createdBy: z.string().nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    steps: z.array(scheduleSchema).meta({ description: 'Its schedules, in step order.' }),
  })
  .meta({ id: 'RolloutPlan' });
export type Plan = z.infer<typeof planSchema>;

/** Every create/update answer of the plan routes: the plan and what it collides with (empty when nothing). */
export const planWithConflictsSchema = z
  .object({ plan: planSchema, conflicts: z.array(conflictSchema) })
  .meta({ id: 'RolloutPlanWithConflicts' });
export type PlanWithConflicts = z.infer<typeof planWithConflictsSchema>;

export const listPlansQuerySchema = environmentQuerySchema.extend({ status: planStatusSchema.optional() });

/** The 201 of `POST /flags/{flagKey}/schedule`: the schedule as before, plus `conflicts` only when there are some. */
export const scheduleCreatedSchema = scheduleSchema
  .extend({ conflicts: z.array(conflictSchema).optional().meta({ description: 'Present only when non-empty.' }) })
  .meta({ id: 'ScheduleCreated' });

const conflictsIfAny = z
  .array(conflictSchema)
  .optional()
  .meta({ description: 'Pending schedules that will overwrite what this change set; present only when non-empty.' });

/** The 200 of `PATCH /flags/{flagKey}`: the flag as before, plus `conflicts` only when there are some. */
export const flagViewWithConflictsSchema = flagViewSchema
  .extend({ conflicts: conflictsIfAny })
  .meta({ id: 'FlagViewWithConflicts' });

/** The 200 of `PATCH /flags/{flagKey}/targeting`: the targeting as before, plus `conflicts` only when there are some. */
export const flagTargetingWithConflictsSchema = flagTargetingSchema
  .extend({ conflicts: conflictsIfAny })
  .meta({ id: 'FlagTargetingWithConflicts' });
