/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "OpenFeature (OFREP)" routes. */
import type { components } from './components';

export interface paths {
  '/ofrep/v1/configuration': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * What OFREP providers may rely on: polling hints and the supported flag types
     * @description Bulk evaluation answers ETag / If-None-Match, so polling costs a 304 while nothing changed; the minimum polling interval is the snapshot poll (SNAPSHOT_POLL_MS), below which nothing new can appear. Number flags are served as int or float, json flags as object.
     */
    get: operations['ofrepConfiguration'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/ofrep/v1/evaluate/flags/{key}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Evaluate one flag (OpenFeature Remote Evaluation Protocol) */
    post: operations['ofrepEvaluateFlag'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/ofrep/v1/evaluate/flags': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Evaluate every flag (OFREP bulk); ETag / If-None-Match → 304 */
    post: operations['ofrepEvaluateFlags'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  ofrepConfiguration: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The configuration. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OfrepConfiguration'];
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
  ofrepEvaluateFlag: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        key: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': components['schemas']['OfrepRequest'];
      };
    };
    responses: {
      /** @description The evaluation. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OfrepEvaluationSuccess'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      /** @description FLAG_NOT_FOUND. */
      404: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  ofrepEvaluateFlags: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': components['schemas']['OfrepRequest'];
      };
    };
    responses: {
      /** @description Every flag, evaluated. */
      200: {
        headers: {
          /** @description Identifies these results for this context; send it as If-None-Match to get a 304. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['OfrepBulkResponse'];
        };
      };
      /** @description Nothing changed since the ETag in If-None-Match (for the same context). */
      304: {
        headers: {
          /** @description Identifies these results for this context; send it as If-None-Match to get a 304. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
}
