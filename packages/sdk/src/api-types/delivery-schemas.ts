/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Delivery" routes. */
import type { components } from './components';

export interface DeliverySchemas {
  Ruleset: {
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    /** @description Config version the ruleset was read at. */
    version: number;
    flags: components['schemas']['RulesetFlag'][];
    segments?: components['schemas']['Segment'][];
  };
  RulesetFlag: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description: string;
    enabled: boolean;
    rolloutPercentage: number;
    overrides: {
      include: string[];
      exclude: string[];
      pins?: {
        [key: string]: string;
      };
    };
    type?: components['schemas']['FlagType'];
    variants?: components['schemas']['Variant'][];
    /**
     * @description Variant name, e.g. "blue".
     * @example blue
     */
    offVariant?: string | null;
    rules?: components['schemas']['Rule'][];
    fallthrough?: components['schemas']['Serve'];
  };
}
