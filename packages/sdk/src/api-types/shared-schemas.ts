/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Shared" routes. */
import type { components } from './components';

export interface SharedSchemas {
  ScheduleConflict: {
    /** @enum {string} */
    kind: 'pending-schedule' | 'overwrites-manual-change';
    /** Format: uuid */
    scheduleId: string;
    /**
     * Format: uuid
     * @description Set when the pending schedule is a step of a plan.
     */
    planId?: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    scheduledAt: string;
    fields: ('enabled' | 'rolloutPercentage' | 'offVariant' | 'rules' | 'fallthrough' | 'overrides')[];
  };
  ScheduledOverrides: {
    set?: components['schemas']['SetOverrideBody'][];
    remove?: string[];
  };
  CreatePlanBody: {
    name?: string;
    steps: {
      /**
       * Format: date-time
       * @description In the future, after the previous step, at most SCHEDULE_MAX_HORIZON_DAYS ahead.
       */
      scheduledAt: string;
      updates: components['schemas']['ScheduleUpdates'];
    }[];
  };
  ScheduleUpdates: {
    enabled?: boolean;
    rolloutPercentage?: number;
    /**
     * @description Variant name, e.g. "blue".
     * @example blue
     */
    offVariant?: string | null;
    rules?: components['schemas']['Rule'][];
    fallthrough?:
      | {
          /**
           * @description Variant name, e.g. "blue".
           * @example blue
           */
          variant: string;
        }
      | {
          split: components['schemas']['Split'];
        }
      | null;
    overrides?: components['schemas']['ScheduledOverrides'];
  };
  Recurrence:
    | {
        /** @enum {string} */
        kind: 'cron';
        cron: string;
        timeZone: string;
        until?: string;
        count?: number;
      }
    | {
        /** @enum {string} */
        kind: 'window';
        on: string;
        off: string;
        days: ('sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[];
        timeZone: string;
        until?: string;
        count?: number;
        offUpdates: components['schemas']['RecordedScheduleUpdates'];
      };
  Occurrence: {
    /** @description The instant, ISO 8601 in UTC. */
    utc: string;
    /** @description The same instant as local time in the zone, ISO 8601 with its offset. */
    local: string;
    /**
     * @description For a window: whether it opens or closes.
     * @enum {string}
     */
    action?: 'on' | 'off';
  };
  Schedule: {
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
  };
}
