/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Environments" routes. */

export interface EnvironmentsSchemas {
  Environment: {
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    key: string;
    name: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    createdAt: string;
    /** @description Four-eyes: every change to a protected environment (direct, scheduled) becomes a change request another admin approves. */
    protected: boolean;
  };
  CreateEnvironmentBody: {
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    key: string;
    name?: string;
  };
  UpdateEnvironmentBody: {
    name?: string;
    /** @description Turning protection off is itself a change request, approved by another admin. */
    protected?: boolean;
  };
}
