/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Flags" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/flags': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List flags in an environment */
    get: operations['listFlags'];
    put?: never;
    /** Create a flag (disabled, 0% in every environment) */
    post: operations['createFlag'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get a flag in an environment */
    get: operations['getFlag'];
    put?: never;
    /** Change a flag in an environment */
    post: operations['updateFlagByPost'];
    /**
     * Delete a flag in every environment
     * @description When any environment is protected, the deletion is a change request in the first protected one (202), made when a second admin approves it.
     */
    delete: operations['deleteFlag'];
    options?: never;
    head?: never;
    /** Change a flag in an environment */
    patch: operations['updateFlag'];
    trace?: never;
  };
}
export interface operations {
  listFlags: {
    parameters: {
      query?: {
        /** @description Environment key, e.g. "production". */
        environment?: string;
        /** @description Substring of the key or description. */
        q?: string;
        limit?: number;
        /** @description Opaque cursor from `nextCursor`. */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of flags, ordered by key. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagPage'];
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
  createFlag: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateFlagBody'];
      };
    };
    responses: {
      /** @description The new flag, as seen in the requested environment. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagView'];
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
  getFlag: {
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
      /** @description The flag. */
      200: {
        headers: {
          /** @description `"<version>"`: the flag's version in this environment; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagView'];
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
  updateFlagByPost: {
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
        'application/json': components['schemas']['UpdateFlagBody'];
      };
    };
    responses: {
      /** @description The flag after the change (unchanged when nothing differed). */
      200: {
        headers: {
          /** @description `"<version>"`: the flag's version in this environment; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagViewWithConflicts'];
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
  deleteFlag: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Flag key. */
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
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
      /** @description Deleted. */
      204: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content?: never;
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
  updateFlag: {
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
        'application/json': components['schemas']['UpdateFlagBody'];
      };
    };
    responses: {
      /** @description The flag after the change (unchanged when nothing differed). */
      200: {
        headers: {
          /** @description `"<version>"`: the flag's version in this environment; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FlagViewWithConflicts'];
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
}
