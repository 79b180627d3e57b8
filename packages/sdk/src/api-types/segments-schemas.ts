/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Segments" routes. */
import type { components } from './components';

export interface SegmentsSchemas {
  SegmentList: {
    items: components['schemas']['SegmentView'][];
  };
  SegmentView: {
    /**
     * @description Segment key.
     * @example beta-testers
     */
    key: string;
    name: string;
    description: string;
    constraints: components['schemas']['Constraint'][];
    /** @description Version of the segment; send it as If-Match. */
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
    /** @description The flags (per environment) whose rules use it. */
    usedBy: {
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
    }[];
  };
  CreateSegmentBody: {
    /**
     * @description Segment key.
     * @example beta-testers
     */
    key: string;
    name: string;
    description?: string;
    constraints?: components['schemas']['Constraint'][];
  };
  ReplaceSegmentBody: {
    name: string;
    description?: string;
    constraints?: components['schemas']['Constraint'][];
  };
}
