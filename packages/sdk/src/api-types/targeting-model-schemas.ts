/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the targeting model, which several groups of routes use. */
import type { components } from './components';

export interface TargetingModelSchemas {
  /** @enum {string} */
  FlagType: 'boolean' | 'string' | 'number' | 'json';
  Variant: {
    /**
     * @description Variant name, e.g. "blue".
     * @example blue
     */
    key: string;
    /** @description A value of the flag's type: boolean, string, number, or a JSON object or array. */
    value:
      | boolean
      | string
      | number
      | unknown[]
      | {
          [key: string]: unknown;
        };
    description?: string;
  };
  Rule: {
    id: string;
    description?: string;
    /** @default [] */
    constraints: components['schemas']['Constraint'][];
    /** @default [] */
    segments: string[];
    rollout?: components['schemas']['RuleRollout'];
    serve: components['schemas']['Serve'];
  };
  Constraint: {
    /** @example plan */
    attribute: string;
    operator: components['schemas']['ConstraintOperator'];
    values: string[];
    inverted?: boolean;
    caseInsensitive?: boolean;
  };
  /** @enum {string} */
  ConstraintOperator:
    | 'IN'
    | 'NOT_IN'
    | 'STR_CONTAINS'
    | 'STR_STARTS_WITH'
    | 'STR_ENDS_WITH'
    | 'NUM_EQ'
    | 'NUM_GT'
    | 'NUM_GTE'
    | 'NUM_LT'
    | 'NUM_LTE'
    | 'DATE_AFTER'
    | 'DATE_BEFORE'
    | 'SEMVER_EQ'
    | 'SEMVER_GT'
    | 'SEMVER_GTE'
    | 'SEMVER_LT'
    | 'SEMVER_LTE';
  RuleRollout: {
    percentage: number;
    /** @example plan */
    stickiness?: string;
    groupId?: string;
  };
  Serve:
    | {
        /**
         * @description Variant name, e.g. "blue".
         * @example blue
         */
        variant: string;
      }
    | {
        split: components['schemas']['Split'];
      };
  Split: {
    variants: components['schemas']['WeightedVariant'][];
    /** @example plan */
    stickiness?: string;
    groupId?: string;
  };
  WeightedVariant: {
    /**
     * @description Variant name, e.g. "blue".
     * @example blue
     */
    variant: string;
    /** @description Out of 1000. */
    weight: number;
  };
  Segment: {
    /**
     * @description Segment key.
     * @example beta-testers
     */
    key: string;
    name: string;
    description: string;
    constraints: components['schemas']['Constraint'][];
  };
  EnvironmentTargetingPatch: {
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
  EnvironmentTargeting: {
    enabled: boolean;
    rolloutPercentage: number;
    /**
     * @description Variant name, e.g. "blue".
     * @example blue
     */
    offVariant: string | null;
    rules: components['schemas']['Rule'][];
    fallthrough:
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
  RecordedScheduleUpdates: {
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
}
