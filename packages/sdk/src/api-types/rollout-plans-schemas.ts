/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Rollout plans" routes. */
import type { components } from './components';

export interface RolloutPlansSchemas {
  RolloutPlanWithConflicts: {
    plan: components['schemas']['RolloutPlan'];
    conflicts: components['schemas']['ScheduleConflict'][];
  };
  RolloutPlan: {
    /** Format: uuid */
    id: string;
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
    name: string | null;
    /**
     * @description active: steps apply at their times. paused: no step applies (also after a step failed). completed: the last step applied. cancelled: deleted; its pending steps were cancelled.
     * @enum {string}
     */
    status: 'active' | 'paused' | 'completed' | 'cancelled';
    createdBy: string | null;
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
    /** @description Its schedules, in step order. */
    steps: components['schemas']['Schedule'][];
  };
}
