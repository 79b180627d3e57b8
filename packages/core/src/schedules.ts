import { z } from 'zod';
import { scheduleUpdatesSchema } from './audit';
import { cursorSchema, environmentKeySchema, instantInputSchema, queryInt, timestampSchema } from './common';
import { cronRecurrenceSchema, occurrenceSchema, storedRecurrenceSchema, windowRecurrenceSchema } from './recurrence';

export const scheduleStatusSchema = z
  .enum(['pending', 'applied', 'failed', 'cancelled', 'completed', 'paused', 'skipped'])
  .meta({
    description:
      'paused: a step of a paused rollout plan (not applied until resumed). skipped: a plan step whose time passed while its plan was paused, superseded by a later step on resume.',
  });
export type ScheduleStatus = z.infer<typeof scheduleStatusSchema>;

/** What a schedule changes: at least one of enabled / rolloutPercentage / offVariant / rules / fallthrough / overrides. */
export const scheduleChangesSchema = scheduleUpdatesSchema
  .refine((updates) => Object.values(updates).some((value) => value !== undefined), {
    message: 'give at least one of enabled, rolloutPercentage, offVariant, rules, fallthrough, overrides',
  })
  .meta({ id: 'ScheduleUpdates' });
export type ScheduleUpdates = z.infer<typeof scheduleUpdatesSchema>;

export const scheduleSchema = z
  .object({
    id: z.uuid(),
    flagKey: z.string(),
    environment: environmentKeySchema,
    scheduledAt: timestampSchema,
    status: scheduleStatusSchema,
    updates: scheduleUpdatesSchema,
    appliedAt: timestampSchema.nullable(),
    errorMessage: z.string().nullable(),
    retryCount: z.number().int(),
    maxRetries: z.number().int(),
    nextRetryAt: timestampSchema.nullable(),
    lastError: z.string().nullable(),
    createdBy: z.string().nullable(),
    cancelledBy: z.string().nullable(),
    cancelledAt: timestampSchema.nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    // Recurring schedules only (a one-off answers exactly as before): scheduledAt is the next occurrence.
    recurrence: storedRecurrenceSchema.optional(),
    occurrenceCount: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Occurrences passed: applied, or skipped after downtime.' }),
    lastOccurrenceAt: timestampSchema.nullable().optional().meta({ description: 'The occurrence last applied.' }),
    nextOccurrences: z
      .array(occurrenceSchema)
      .optional()
      .meta({ description: 'The next (up to) 10 occurrences while pending; empty once ended.' }),
    // Plan steps only (any other schedule answers exactly as before).
    planId: z.uuid().optional().meta({ description: 'The rollout plan this schedule is a step of.' }),
    planStep: z.number().int().min(0).optional().meta({ description: 'Its index in the plan, from 0.' }),
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof scheduleSchema>;

const ISO_DATE_TIME = 'must be an ISO 8601 date-time with Z or an offset';
const missing = (expected: string) => `Invalid input: expected ${expected}, received undefined`;

/**
 * One of three forms: `scheduledAt` (once, as the origin had it), `recurrence` (a cron in a time zone) or `window`
 * (on at one local time, off at another). One flat object rather than a union, so that each error names its field.
 */
export const createScheduleBodySchema = z
  .strictObject({
    scheduledAt: z.iso.datetime({ offset: true, error: ISO_DATE_TIME }).optional().meta({
      description: 'Once: when to apply, in the future, at most SCHEDULE_MAX_HORIZON_DAYS ahead.',
    }),
    recurrence: cronRecurrenceSchema.optional().meta({ description: 'Recurring: apply `updates` at each occurrence.' }),
    window: windowRecurrenceSchema
      .optional()
      .meta({ description: 'Recurring window: `updates` at `on`, `offUpdates` at `off`.' }),
    updates: scheduleChangesSchema
      .optional()
      .meta({ description: 'Required, except for a window (default {"enabled": true}).' }),
    offUpdates: scheduleChangesSchema
      .optional()
      .meta({ description: 'A window only: applied at `off` (default {"enabled": false}).' }),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .meta({ description: 'Retries after a failed attempt (default 3).' }),
  })
  .superRefine((body, ctx) => {
    const forms = ['scheduledAt', 'recurrence', 'window'].filter((key) => body[key as keyof typeof body] !== undefined);
    // Worded as the origin answered a body without scheduledAt.
    if (forms.length === 0) ctx.addIssue({ code: 'custom', path: ['scheduledAt'], message: ISO_DATE_TIME });
    for (const extra of forms.slice(1)) {
      ctx.addIssue({ code: 'custom', path: [extra], message: `give only one of ${forms.join(', ')}` });
    }
    if (body.window === undefined && body.updates === undefined) {
      ctx.addIssue({ code: 'custom', path: ['updates'], message: missing('object') });
    }
    if (body.window === undefined && body.offUpdates !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['offUpdates'], message: 'only for a window' });
    }
  })
  .meta({ id: 'CreateScheduleBody' });
export type CreateScheduleBody = z.infer<typeof createScheduleBodySchema>;

export const listFlagSchedulesQuerySchema = z.object({
  environment: environmentKeySchema.optional(),
  status: scheduleStatusSchema.optional(),
});

export const listSchedulesQuerySchema = z.object({
  status: scheduleStatusSchema.optional(),
  environment: environmentKeySchema.optional(),
  from: instantInputSchema.optional().meta({ description: 'Scheduled at or after this instant.' }),
  to: instantInputSchema.optional().meta({ description: 'Scheduled before this instant.' }),
  limit: queryInt(1, 500, 100),
  cursor: cursorSchema,
});
export type ListSchedulesQuery = z.infer<typeof listSchedulesQuerySchema>;

export const schedulePageSchema = z
  .object({ items: z.array(scheduleSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SchedulePage' });
export type SchedulePage = z.infer<typeof schedulePageSchema>;

export const runDueSummarySchema = z.object({
  processed: z.number().int(),
  applied: z.number().int(),
  retried: z.number().int(),
  failed: z.number().int(),
  durationMs: z.number(),
});
export type RunDueSummary = z.infer<typeof runDueSummarySchema>;
