import { z } from 'zod';
import { scheduleUpdatesSchema } from './audit';

/** Recurring schedules: a cron in a time zone, or a daily on/off window on chosen weekdays. See docs/scheduling.md. */

/** An IANA name ("Europe/Berlin", "UTC"); offsets like "+01:00" are refused, as they know nothing of DST. */
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (name) => {
      if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: name });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone name such as "Europe/Berlin"' },
  )
  .meta({ description: 'IANA time zone name.', example: 'Europe/Berlin' });

const untilSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset' })
  .optional()
  .meta({ description: 'No occurrence after this instant (a window opened before it still closes).' });

const countSchema = z
  .number()
  .int()
  .min(1)
  .max(100_000)
  .optional()
  .meta({ description: 'How many occurrences (windows, for a window) in all; ones skipped after downtime count.' });

export const cronRecurrenceSchema = z
  .strictObject({
    cron: z
      .string()
      .trim()
      .regex(/^\S+(\s+\S+){4}$/, 'must be a five-field cron expression: minute hour day-of-month month day-of-week')
      .meta({ example: '0 9 * * 1-5' }),
    timeZone: timeZoneSchema,
    until: untilSchema,
    count: countSchema,
  })
  .meta({ id: 'CronRecurrence' });
export type CronRecurrence = z.infer<typeof cronRecurrenceSchema>;

export const weekdaySchema = z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
export type Weekday = z.infer<typeof weekdaySchema>;

const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM (00:00 to 23:59)');

export const windowRecurrenceSchema = z
  .strictObject({
    on: clockTimeSchema.meta({ description: 'Local time the window opens (applies `updates`).', example: '09:00' }),
    off: clockTimeSchema.meta({
      description: 'Local time it closes (applies `offUpdates`); before `on` means the next day.',
      example: '17:00',
    }),
    days: z
      .array(weekdaySchema)
      .min(1)
      .max(7)
      .optional()
      .meta({ description: 'Weekdays the window opens on (default every day).' }),
    timeZone: timeZoneSchema,
    until: untilSchema,
    count: countSchema,
  })
  .refine((window) => window.on !== window.off, { message: 'must differ from on', path: ['off'] })
  .meta({ id: 'WindowRecurrence' });
export type WindowRecurrence = z.infer<typeof windowRecurrenceSchema>;

/** What a recurring schedule row stores: the request's recurrence, normalised, with the window's closing change. */
export const storedRecurrenceSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('cron'),
      cron: z.string(),
      timeZone: z.string(),
      until: z.string().optional(),
      count: z.number().int().optional(),
    }),
    z.object({
      kind: z.literal('window'),
      on: z.string(),
      off: z.string(),
      days: z.array(weekdaySchema),
      timeZone: z.string(),
      until: z.string().optional(),
      count: z.number().int().optional(),
      offUpdates: scheduleUpdatesSchema,
    }),
  ])
  .meta({ id: 'Recurrence' });
export type StoredRecurrence = z.infer<typeof storedRecurrenceSchema>;

export const occurrenceSchema = z
  .object({
    utc: z.string().meta({ description: 'The instant, ISO 8601 in UTC.' }),
    local: z.string().meta({ description: 'The same instant as local time in the zone, ISO 8601 with its offset.' }),
    action: z.enum(['on', 'off']).optional().meta({ description: 'For a window: whether it opens or closes.' }),
  })
  .meta({ id: 'Occurrence' });
export type Occurrence = z.infer<typeof occurrenceSchema>;
