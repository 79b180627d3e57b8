/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Audit" routes. */
import type { components } from './components';

export interface AuditSchemas {
  AuditPage: {
    items: components['schemas']['AuditEvent'][];
    nextCursor: string | null;
  };
  AuditEventEnvelope: {
    /** @description Monotonic event id (a bigint, as text). */
    id: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    occurredAt: string;
    actor: {
      /** @enum {string} */
      type: 'user' | 'token' | 'system';
      id: string;
      email: string | null;
    };
    environment: string | null;
    flagKey: string | null;
    scheduleId: string | null;
    requestId: string | null;
    before: {
      [key: string]: unknown;
    } | null;
    after: {
      [key: string]: unknown;
    } | null;
    /** @description The hash at the previous chain position; null at position 1 and while unsealed. */
    prevHash: string | null;
    /** @description SHA-256 (hex) of the canonical chain link (docs/audit.md); null until sealed. */
    hash: string | null;
    /** @description Place in the sealed hash chain (1, 2, 3 … without gaps); null until the sealer reaches it. */
    position?: number | null;
  };
  TargetingDiff: {
    enabled?: {
      before:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
      after:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
    };
    rolloutPercentage?: {
      before:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
      after:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
    };
    offVariant?: {
      before:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
      after:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
    };
    fallthrough?: {
      before:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
      after:
        | null
        | boolean
        | string
        | number
        | unknown[]
        | {
            [key: string]: unknown;
          };
    };
    rules: {
      /** @description Ids of rules that are new. */
      added: string[];
      /** @description Ids of rules that are gone. */
      removed: string[];
      /** @description Rules whose order relative to the others changed (index before and after). */
      moved: {
        id: string;
        from: number;
        to: number;
      }[];
      changed: {
        id: string;
        fields: {
          field: string;
          before:
            | null
            | boolean
            | string
            | number
            | unknown[]
            | {
                [key: string]: unknown;
              };
          after:
            | null
            | boolean
            | string
            | number
            | unknown[]
            | {
                [key: string]: unknown;
              };
        }[];
      }[];
    };
  };
  ChangeRequestEventData: {
    changeRequestId: string;
    kind: string;
    comment?: string | null;
    error?: string;
  };
  PlanEventData: {
    planId: string;
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    name: string | null;
    steps: number;
    reason?: string;
    scheduleIds?: string[];
    skippedScheduleIds?: string[];
  };
  ScheduleCreatedEventData: {
    scheduleId: string;
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    scheduledAt: string;
    updates: components['schemas']['RecordedScheduleUpdates'];
    adminUserId: string;
    adminEmail: string | null;
    recurrence?: {
      [key: string]: unknown;
    };
    planId?: string;
  };
  ScheduleAppliedEventData: {
    scheduleId: string;
    /**
     * @description Flag key.
     * @example new-checkout
     */
    flagKey: string;
    updates: components['schemas']['RecordedScheduleUpdates'];
    appliedAt: string;
    flagState: components['schemas']['FlagStateSnapshot'];
    recurringScheduleId?: string;
    occurrenceAt?: string;
    /** @enum {string} */
    action?: 'on' | 'off';
    skippedOccurrences?: number;
    planId?: string;
    planStep?: number;
  };
  FlagStateSnapshot: {
    enabled: boolean;
    rolloutPercentage: number;
  };
  AuditVerification: {
    ok: boolean;
    /** @description Sealed events whose chain link was checked. */
    checked: number;
    firstBrokenId: string | null;
    /** @description Committed events the sealer has not chained yet. */
    unsealed?: number;
    /** @description The first problem found, in words; null when the chain is intact. */
    problem?: string | null;
    /** @description Signed checkpoints the chain was checked against. */
    checkpoints?: number;
  };
}
