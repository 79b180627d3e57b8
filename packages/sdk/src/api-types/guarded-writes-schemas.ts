/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the guarded writes, which several groups of routes use. */
import type { components } from './components';

export interface GuardedWritesSchemas {
  ChangeRequestAccepted: {
    changeRequest: components['schemas']['ChangeRequest'];
  };
  ChangeRequest: {
    id: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string | null;
    change: components['schemas']['RequestedChange'];
    /**
     * @description pending: waiting for a second admin. applied: approved and carried out (a schedule: approved and armed). rejected. failed: approved, but the change no longer applied (the flag moved on); nothing was changed. expired: a schedule whose time passed before anyone approved it.
     * @enum {string}
     */
    status: 'pending' | 'applied' | 'rejected' | 'failed' | 'expired';
    /** @description What the change would record, as of the request. */
    preview: {
      type: string;
      before: {
        [key: string]: unknown;
      } | null;
      after: {
        [key: string]: unknown;
      } | null;
    }[];
    requestedBy: {
      /** @enum {string} */
      type: 'user' | 'token' | 'system';
      id: string;
      email: string | null;
    };
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    requestedAt: string;
    comment: string | null;
    decidedBy: {
      /** @enum {string} */
      type: 'user' | 'token' | 'system';
      id: string;
      email: string | null;
    } | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    decidedAt: string | null;
    decisionComment: string | null;
    /** @description Why applying failed, for status failed or expired. */
    error: string | null;
    /**
     * Format: date-time
     * @description Schedules: the request expires at the scheduled time.
     */
    expiresAt: string | null;
  };
  RequestedChange:
    | {
        /** @enum {string} */
        kind: 'flag.update';
        body: components['schemas']['UpdateFlagBody'];
        /** @description The version the requester saw; always set on a stored request. */
        expectedVersion?: number;
      }
    | {
        /** @enum {string} */
        kind: 'flag.targeting';
        body: components['schemas']['EnvironmentTargetingPatch'];
        /** @description The version the requester saw; always set on a stored request. */
        expectedVersion?: number;
      }
    | {
        /** @enum {string} */
        kind: 'override.set';
        body: components['schemas']['SetOverrideBody'];
      }
    | {
        /** @enum {string} */
        kind: 'override.remove';
        userId: string;
      }
    | {
        /** @enum {string} */
        kind: 'schedule.create';
        body: components['schemas']['CreateScheduleBody'];
      }
    | {
        /** @enum {string} */
        kind: 'plan.create';
        body: components['schemas']['CreatePlanBody'];
      }
    | {
        /** @enum {string} */
        kind: 'environment.unprotect';
      }
    | {
        /** @enum {string} */
        kind: 'flag.variants';
        body: components['schemas']['SetVariantsBody'];
      }
    | {
        /** @enum {string} */
        kind: 'flag.delete';
      }
    | {
        /** @enum {string} */
        kind: 'config.import';
        /** @enum {string} */
        source: 'flagline' | 'unleash';
        flags: components['schemas']['ImportedFlag'][];
        segments: components['schemas']['Segment'][];
        unsupported: {
          path: string;
          reason: string;
        }[];
        /** @enum {string} */
        onExisting: 'fail' | 'replace';
      };
  UpdateFlagBody: {
    enabled?: boolean;
    rolloutPercentage?: number;
    description?: string;
  };
  SetOverrideBody: {
    userId: string;
    /** @enum {string} */
    overrideType: 'include' | 'exclude';
    reason?: string;
    /**
     * @description Include overrides only: the flag's variant to serve (default: on / fallthrough).
     * @example blue
     */
    variant?: string;
  };
  CreateScheduleBody: {
    /**
     * Format: date-time
     * @description Once: when to apply, in the future, at most SCHEDULE_MAX_HORIZON_DAYS ahead.
     */
    scheduledAt?: string;
    /** @description Recurring: apply `updates` at each occurrence. */
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
    /** @description Recurring window: `updates` at `on`, `offUpdates` at `off`. */
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
    /** @description Required, except for a window (default {"enabled": true}). */
    updates?: {
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
    /** @description A window only: applied at `off` (default {"enabled": false}). */
    offUpdates?: {
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
    /** @description Retries after a failed attempt (default 3). */
    maxRetries?: number;
  };
  SetVariantsBody: {
    variants: components['schemas']['Variant'][];
  };
  ImportedFlag: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description: string;
    type: components['schemas']['FlagType'];
    variants: components['schemas']['Variant'][];
    targeting: components['schemas']['EnvironmentTargeting'];
    overrides?: {
      userId: string;
      /** @enum {string} */
      overrideType: 'include' | 'exclude';
      /**
       * @description Variant name, e.g. "blue".
       * @example blue
       */
      variant: string | null;
    }[];
  };
}
