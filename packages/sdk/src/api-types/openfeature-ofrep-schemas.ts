/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "OpenFeature (OFREP)" routes. */
import type { components } from './components';

export interface OpenfeatureOfrepSchemas {
  OfrepConfiguration: {
    name: string;
    capabilities: {
      cacheInvalidation: {
        polling: {
          enabled: boolean;
          minPollingIntervalMs: number;
        };
      };
      flagEvaluation: {
        supportedTypes: ('boolean' | 'string' | 'int' | 'float' | 'object')[];
      };
    };
  };
  OfrepEvaluationSuccess: {
    key: string;
    value:
      | boolean
      | string
      | number
      | unknown[]
      | {
          [key: string]: unknown;
        };
    reason: string;
    variant: string;
    metadata?: {
      [key: string]: string | number | boolean;
    };
  };
  OfrepEvaluationFailure: {
    key: string;
    /** @enum {string} */
    errorCode:
      | 'PARSE_ERROR'
      | 'TARGETING_KEY_MISSING'
      | 'INVALID_CONTEXT'
      | 'GENERAL'
      | 'FLAG_NOT_FOUND'
      | 'TYPE_MISMATCH';
    errorDetails?: string;
  };
  OfrepRequest: {
    context?: {
      targetingKey?: string;
    } & {
      [key: string]: unknown;
    };
  };
  OfrepBulkResponse: {
    flags: (components['schemas']['OfrepEvaluationSuccess'] | components['schemas']['OfrepEvaluationFailure'])[];
  };
}
