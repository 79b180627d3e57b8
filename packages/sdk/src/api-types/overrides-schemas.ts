/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Overrides" routes. */
import type { components } from './components';

export interface OverridesSchemas {
  Override: {
    userId: string;
    /** @enum {string} */
    overrideType: 'include' | 'exclude';
    reason: string | null;
    /**
     * @description The variant an include pins; absent when none.
     * @example blue
     */
    variant?: string;
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
  };
  OverrideList: {
    includes: components['schemas']['Override'][];
    excludes: components['schemas']['Override'][];
    pagination: {
      page: number;
      pageSize: number;
      total: number;
    };
  };
}
