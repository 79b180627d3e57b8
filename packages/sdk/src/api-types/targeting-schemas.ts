/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Targeting" routes. */
import type { components } from './components';

export interface TargetingSchemas {
  FlagTargeting: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    type: components['schemas']['FlagType'];
    /** @description Declared variants; a boolean flag without any has on/off. */
    variants: components['schemas']['Variant'][];
    targeting: components['schemas']['EnvironmentTargeting'];
    /** @description Version of this flag in this environment; send it as If-Match. */
    version: number;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    updatedAt: string;
  };
  FlagTargetingWithConflicts: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    type: components['schemas']['FlagType'];
    /** @description Declared variants; a boolean flag without any has on/off. */
    variants: components['schemas']['Variant'][];
    targeting: components['schemas']['EnvironmentTargeting'];
    /** @description Version of this flag in this environment; send it as If-Match. */
    version: number;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    updatedAt: string;
    /** @description Pending schedules that will overwrite what this change set; present only when non-empty. */
    conflicts?: components['schemas']['ScheduleConflict'][];
  };
  FlagVariants: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    type: components['schemas']['FlagType'];
    variants: components['schemas']['Variant'][];
  };
}
