import { z } from 'zod';
import { cronRecurrenceSchema, occurrenceSchema, windowRecurrenceSchema } from './recurrence';

/**
 * What a recurring schedule would do, before it is created: the same `recurrence` or `window` as
 * `POST …/schedule` takes, answered with the occurrences the scheduler would apply. The admin UI previews with it,
 * so time-zone and DST arithmetic live in one place, the server's.
 */
export const recurrencePreviewBodySchema = z
  .strictObject({
    recurrence: cronRecurrenceSchema.optional().meta({ description: 'A cron in a time zone, as for a schedule.' }),
    window: windowRecurrenceSchema.optional().meta({ description: 'A daily on/off window, as for a schedule.' }),
  })
  .superRefine((body, ctx) => {
    if (body.recurrence === undefined && body.window === undefined) {
      ctx.addIssue({ code: 'custom', path: ['recurrence'], message: 'give one of recurrence, window' });
    }
    if (body.recurrence !== undefined && body.window !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: 'give only one of recurrence, window' });
    }
  })
  .meta({ id: 'RecurrencePreviewBody' });
export type RecurrencePreviewBody = z.infer<typeof recurrencePreviewBodySchema>;

export const recurrencePreviewSchema = z
  .object({
    nextOccurrences: z
      .array(occurrenceSchema)
      .meta({ description: 'The next (up to) 10 occurrences from now, as the created schedule would list them.' }),
  })
  .meta({ id: 'RecurrencePreview' });
export type RecurrencePreview = z.infer<typeof recurrencePreviewSchema>;
