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
