/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Tokens" routes. */

export interface TokensSchemas {
  Principal: {
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
  };
  CreatedToken: {
    /** Format: uuid */
    id: string;
    name: string;
    /** @enum {string} */
    role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string | null;
    /** @description The origins a frontend token answers browsers from (CORS); null for other roles. */
    allowedOrigins: string[] | null;
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
    lastUsedAt: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    revokedAt: string | null;
    /** @description Shown once; only its hash is stored. */
    secret: string;
  };
  CreateTokenBody: {
    name: string;
    /** @enum {string} */
    role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment?: string;
    /** @description Frontend tokens only, and required for them: the origins browsers may call from (CORS). "*" allows any origin. */
    allowedOrigins?: string[];
  };
  Token: {
    /** Format: uuid */
    id: string;
    name: string;
    /** @enum {string} */
    role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string | null;
    /** @description The origins a frontend token answers browsers from (CORS); null for other roles. */
    allowedOrigins: string[] | null;
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
    lastUsedAt: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    revokedAt: string | null;
  };
}
