/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Evaluation" routes. */
import type { components } from './components';

export interface paths {
  '/api/config/principal': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * What these credentials may evaluate (for relays)
     * @description The role, bound environment and allowed origins of the presented credential, and when an access token expires: how `flagline relay`, which has no token table, checks the credentials presented to it (it caches answers for 10 s, and asks again for its open streams when the `credentials` event of the server stream says tokens changed, so a revocation ends them there too). Reads nothing but the credential, records nothing; failures count towards AUTH_FAILURES_PER_MINUTE like any other.
     */
    get: operations['getEvaluationPrincipal'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/config/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Change notices for remote evaluation (Server-Sent Events), for frontend and server tokens
     * @description Event `ready` ({version}) on connect, then `change` ({version, flags: the keys of the flags whose values may have changed}) as changes commit on any instance: re-evaluate (OFREP bulk with If-None-Match) on each. Carries no configuration, so frontend tokens may use it. Ends as the ruleset stream does (revocation, exp, SSE_MAX_LIFETIME_MS; reconnect after `retry:`), with the same per-credential cap.
     */
    get: operations['streamChangeNotices'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/config/flags': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Evaluate every flag for a user
     * @description Served from the in-memory snapshot. Without userId, partial rollouts are off (design §4).
     */
    get: operations['evaluateFlags'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/config/flags/{flagKey}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A flag's public configuration */
    get: operations['getPublicFlag'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  getEvaluationPrincipal: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The principal. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['EvaluationPrincipal'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  streamChangeNotices: {
    parameters: {
      query?: {
        /** @description Environment key, e.g. "production". */
        environment?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description An event stream. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'text/event-stream': string;
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      413: components['responses']['PayloadTooLarge'];
      429: components['responses']['TooManyRequests'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  evaluateFlags: {
    parameters: {
      query?: {
        userId?: string;
        /** @description Environment key, e.g. "production". */
        environment?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description { flagKey: boolean } */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['EvaluatedFlags'];
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
  getPublicFlag: {
    parameters: {
      query?: {
        /** @description Environment key, e.g. "production". */
        environment?: string;
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The flag. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['PublicFlag'];
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
}
