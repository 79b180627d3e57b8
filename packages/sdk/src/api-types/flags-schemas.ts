/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Flags" routes. */
import type { components } from './components';

export interface FlagsSchemas {
  FlagPage: {
    items: components['schemas']['FlagView'][];
    nextCursor: string | null;
  };
  FlagView: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    enabled: boolean;
    rolloutPercentage: number;
    /** @description Version of this flag in this environment; send it as If-Match. */
    version: number;
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
  CreateFlagBody: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description?: string;
    /**
     * @description Default boolean.
     * @enum {string}
     */
    type?: 'boolean' | 'string' | 'number' | 'json';
    /** @description Values of the flag type; string, number and json flags need at least one. */
    variants?: components['schemas']['Variant'][];
  };
  FlagViewWithConflicts: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    enabled: boolean;
    rolloutPercentage: number;
    /** @description Version of this flag in this environment; send it as If-Match. */
    version: number;
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
    /** @description Pending schedules that will overwrite what this change set; present only when non-empty. */
    conflicts?: components['schemas']['ScheduleConflict'][];
  };
}
