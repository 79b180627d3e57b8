/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Overrides" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/flags/{flagKey}/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List a flag's overrides, paginated */
    get: operations['listOverrides'];
    put?: never;
    /** Set a user's override (include or exclude) on a flag */
    post: operations['setOverride'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/users/{userId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove a user's override */
    delete: operations['removeOverride'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  listOverrides: {
    parameters: {
      query?: {
        /** @description Environment key, e.g. "production". */
        environment?: string;
        page?: number;
        pageSize?: number;
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description One page of overrides. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OverrideList'];
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
  setOverride: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SetOverrideBody'];
      };
    };
    responses: {
      /** @description The user already had an override; it now has this one. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Override'];
        };
      };
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Override'];
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
      413: components['responses']['PayloadTooLarge'];
      /** @description Too many changes; try again later. */
      429: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Retry-After': components['headers']['Retry-After'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  removeOverride: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
      };
      header?: never;
      path: {
        flagKey: string;
        userId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
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
      /** @description Removed. */
      204: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      413: components['responses']['PayloadTooLarge'];
      /** @description Too many changes; try again later. */
      429: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Retry-After': components['headers']['Retry-After'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
}
