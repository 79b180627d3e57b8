/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Segments" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/segments': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List segments, with the flags that use each */
    get: operations['listSegments'];
    put?: never;
    /** Create a segment (a named, reusable list of constraints) */
    post: operations['createSegment'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/segments/{segmentKey}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get a segment and the flags whose rules use it */
    get: operations['getSegment'];
    /** Replace a segment (every flag using it changes with it) */
    put: operations['replaceSegment'];
    post?: never;
    /**
     * Delete a segment no rule uses
     * @description A segment still used answers 409 INVALID_STATE with `details.flags`: [{ flagKey, environment }].
     */
    delete: operations['deleteSegment'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  listSegments: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Every segment, ordered by key. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SegmentList'];
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
  createSegment: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateSegmentBody'];
      };
    };
    responses: {
      /** @description The new segment. */
      201: {
        headers: {
          /** @description `"<version>"`: the segment's version; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SegmentView'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      409: components['responses']['Conflict'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  getSegment: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description Segment key. */
        segmentKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The segment. */
      200: {
        headers: {
          /** @description `"<version>"`: the segment's version; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SegmentView'];
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
  replaceSegment: {
    parameters: {
      query?: never;
      header?: {
        /** @description The segment version (from its view's version) this change expects; 412 when it moved on. */
        'if-match'?: string;
      };
      path: {
        /** @description Segment key. */
        segmentKey: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ReplaceSegmentBody'];
      };
    };
    responses: {
      /** @description The segment after the change. */
      200: {
        headers: {
          /** @description `"<version>"`: the segment's version; send it back as If-Match. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SegmentView'];
        };
      };
      400: components['responses']['BadRequest'];
      401: components['responses']['Unauthorized'];
      403: components['responses']['Forbidden'];
      404: components['responses']['NotFound'];
      412: components['responses']['PreconditionFailed'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  deleteSegment: {
    parameters: {
      query?: never;
      header?: {
        /** @description The segment version (from its view's version) this change expects; 412 when it moved on. */
        'if-match'?: string;
      };
      path: {
        /** @description Segment key. */
        segmentKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
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
      409: components['responses']['Conflict'];
      412: components['responses']['PreconditionFailed'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
}
