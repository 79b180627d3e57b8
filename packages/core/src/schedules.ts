import { z } from 'zod';
import { scheduleUpdatesSchema } from './audit';
import { cursorSchema, environmentKeySchema, instantInputSchema, queryInt, timestampSchema } from './common';

export const scheduleStatusSchema = z.enum(['pending', 'applied', 'failed', 'cancelled']);
export type ScheduleStatus = z.infer<typeof scheduleStatusSchema>;

/** What a schedule changes: at least one of enabled / rolloutPercentage / offVariant / rules / fallthrough. */
export const scheduleChangesSchema = scheduleUpdatesSchema
  .refine((updates) => Object.values(updates).some((value) => value !== undefined), {
    message: 'give at least one of enabled, rolloutPercentage, offVariant, rules, fallthrough',
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
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof scheduleSchema>;

export const createScheduleBodySchema = z
  .strictObject({
    scheduledAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset' })
      .meta({ description: 'When to apply: in the future, at most SCHEDULE_MAX_HORIZON_DAYS ahead.' }),
    updates: scheduleChangesSchema,
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .optional()
      .meta({ description: 'Retries after a failed attempt (default 3).' }),
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
