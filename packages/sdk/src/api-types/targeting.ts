/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Targeting" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/flags/{flagKey}/targeting': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A flag's type, variants and targeting in an environment */
    get: operations['getFlagTargeting'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /**
     * Change a flag's targeting in an environment
     * @description The fields given replace the current ones. Variants and segments the rules name must exist; a problem answers 400 naming the field (e.g. `rules[2].constraints[0].values`) and changes nothing.
     */
    patch: operations['updateFlagTargeting'];
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/variants': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Replace a flag's variants
     * @description Values are checked against the flag type. Removing a variant that targeting or an override still serves answers 409 INVALID_STATE with `details.references`: [{ environment, path }]. Variants are shared by every environment: when any is protected, the change is a change request in the first protected one (202).
     */
    put: operations['setFlagVariants'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  getFlagTargeting: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
      };
      header?: never;
      path: {
        /** @description Flag key. */
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The targeting. */
      200: {
        headers: {
          /** @description `"<version>"`: the flag's version in this environment; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagTargeting'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  updateFlagTargeting: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
        /** @description reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts. */
        onConflict?: 'allow' | 'reject';
      };
      header?: {
        /** @description The flag version (from FlagView.version) this change expects; 412 when it moved on. */
        'if-match'?: string;
      };
      path: {
        /** @description Flag key. */
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['EnvironmentTargetingPatch'];
      };
    };
    responses: {
      /** @description The targeting after the change (unchanged when nothing differed). */
      200: {
        headers: {
          /** @description `"<version>"`: the flag's version in this environment; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagTargetingWithConflicts'];
        };
      };
      /** @description The environment is protected: nothing changed yet; the change waits as a change request for another admin to approve. */
      202: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ChangeRequestAccepted'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      /** @description SCHEDULE_CONFLICT (only with ?onConflict=reject; `details.conflicts` lists them, nothing changed), or INVALID_STATE. */
      409: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      412: components['responses']['PreconditionFailed'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  setFlagVariants: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Flag key. */
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SetVariantsBody'];
      };
    };
    responses: {
      /** @description The variants after the change. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagVariants'];
        };
      };
      /** @description The environment is protected: nothing changed yet; the change waits as a change request for another admin to approve. */
      202: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ChangeRequestAccepted'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      409: components['responses']['Conflict'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
}
