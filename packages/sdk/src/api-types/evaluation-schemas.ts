/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Evaluation" routes. */

export interface EvaluationSchemas {
  EvaluatedFlags: {
    [key: string]: boolean;
  };
  PublicFlag: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    enabled: boolean;
    rolloutPercentage: number;
    description: string;
  };
}
