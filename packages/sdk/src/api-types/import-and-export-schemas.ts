/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Import and export" routes. */
import type { components } from './components';

export interface ImportAndExportSchemas {
  ImportResult: {
    dryRun: boolean;
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    flags: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      /** @enum {string} */
      action: 'create' | 'replace' | 'unchanged';
      rules: number;
    }[];
    segments: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      /** @enum {string} */
      action: 'create' | 'replace' | 'unchanged';
    }[];
    /** @description Parts of the source that could not be represented and were left out (see docs). */
    unsupported: {
      path: string;
      reason: string;
    }[];
  };
  EnvironmentExport: {
    /** @enum {string} */
    format: 'flagline.environment.v1';
    /**
     * @description Environment key, e.g. "production".
     * @example production
     */
    environment: string;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    exportedAt: string;
    flags: components['schemas']['ExportedFlag'][];
    segments: components['schemas']['Segment'][];
  };
  ExportedFlag: {
    /**
     * @description Flag key.
     * @example new-checkout
     */
    key: string;
    description: string;
    type: components['schemas']['FlagType'];
    variants: components['schemas']['Variant'][];
    targeting: components['schemas']['EnvironmentTargeting'];
    overrides: {
      userId: string;
      /** @enum {string} */
      overrideType: 'include' | 'exclude';
      /**
       * @description Variant name, e.g. "blue".
       * @example blue
       */
      variant: string | null;
    }[];
  };
}
