/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Schedules" routes. */
import type { components } from './components';

export interface SchedulesSchemas {
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
    /** @enum {string} */
    status: 'pending' | 'applied' | 'failed' | 'cancelled';
    updates: {
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
    };
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
  };
  CreateScheduleBody: {
    /**
     * Format: date-time
     * @description When to apply: in the future, at most SCHEDULE_MAX_HORIZON_DAYS ahead.
     */
    scheduledAt: string;
    updates: components['schemas']['ScheduleUpdates'];
    /** @description Retries after a failed attempt (default 3). */
    maxRetries?: number;
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
  };
  SchedulePage: {
    items: components['schemas']['Schedule'][];
    nextCursor: string | null;
  };
}
