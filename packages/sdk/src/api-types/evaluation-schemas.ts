/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Evaluation" routes. */

export interface EvaluationSchemas {
  EvaluationPrincipal: {
    /** @enum {string} */
    role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
    /** @description Set for client tokens: the one environment they read. */
    environment: string | null;
    /** @description How changes made with these credentials appear in the audit trail. */
    actor: {
      /** @enum {string} */
      type: 'user' | 'token' | 'system';
      id: string;
      email: string | null;
    };
    /** @description In an approver group (AUTH_APPROVER_GROUPS): may decide change requests. */
    approver?: boolean;
    /** @description Frontend tokens: the origins browsers may call from. */
    allowedOrigins?: string[];
    /** @description Access tokens: when the credential expires (milliseconds since the epoch). */
    expiresAt?: number;
  };
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
