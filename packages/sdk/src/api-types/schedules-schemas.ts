/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Schedules" routes. */
import type { components } from './components';

export interface SchedulesSchemas {
  ScheduleCreated: {
    /** Format: uuid */
    id: string;
    flagKey: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    scheduledAt: string;
    /**
     * @description paused: a step of a paused rollout plan (not applied until resumed). skipped: a plan step whose time passed while its plan was paused, superseded by a later step on resume.
     * @enum {string}
     */
    status: 'pending' | 'applied' | 'failed' | 'cancelled' | 'completed' | 'paused' | 'skipped';
    updates: components['schemas']['RecordedScheduleUpdates'];
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    appliedAt: string | null;
    errorMessage: string | null;
    retryCount: number;
    maxRetries: number;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    nextRetryAt: string | null;
    lastError: string | null;
    createdBy: string | null;
    cancelledBy: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    cancelledAt: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    createdAt: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    updatedAt: string;
    recurrence?: components['schemas']['Recurrence'];
    /** @description Occurrences passed: applied, or skipped after downtime. */
    occurrenceCount?: number;
    /**
     * Format: date-time
     * @description The occurrence last applied.
     */
    lastOccurrenceAt?: string | null;
    /** @description The next (up to) 10 occurrences while pending; empty once ended. */
    nextOccurrences?: components['schemas']['Occurrence'][];
    /**
     * Format: uuid
     * @description The rollout plan this schedule is a step of.
     */
    planId?: string;
    /** @description Its index in the plan, from 0. */
    planStep?: number;
    /** @description Present only when non-empty. */
    conflicts?: components['schemas']['ScheduleConflict'][];
  };
  SchedulePage: {
    items: components['schemas']['Schedule'][];
    nextCursor: string | null;
  };
  RecurrencePreview: {
    /** @description The next (up to) 10 occurrences from now, as the created schedule would list them. */
    nextOccurrences: components['schemas']['Occurrence'][];
  };
  RecurrencePreviewBody: {
    /** @description A cron in a time zone, as for a schedule. */
    recurrence?: {
      /** @example 0 9 * * 1-5 */
      cron: string;
      /**
       * @description IANA time zone name.
       * @example Europe/Berlin
       */
      timeZone: string;
      /**
       * Format: date-time
       * @description No occurrence after this instant (a window opened before it still closes).
       */
      until?: string;
      /** @description How many occurrences (windows, for a window) in all; ones skipped after downtime count. */
      count?: number;
    };
    /** @description A daily on/off window, as for a schedule. */
    window?: {
      /**
       * @description Local time the window opens (applies `updates`).
       * @example 09:00
       */
      on: string;
      /**
       * @description Local time it closes (applies `offUpdates`); before `on` means the next day.
       * @example 17:00
       */
      off: string;
      /** @description Weekdays the window opens on (default every day). */
      days?: ('sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[];
      /**
       * @description IANA time zone name.
       * @example Europe/Berlin
       */
      timeZone: string;
      /**
       * Format: date-time
       * @description No occurrence after this instant (a window opened before it still closes).
       */
      until?: string;
      /** @description How many occurrences (windows, for a window) in all; ones skipped after downtime count. */
      count?: number;
    };
  };
}
