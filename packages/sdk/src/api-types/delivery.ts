/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Delivery" routes. */
import type { components } from './components';

export interface paths {
  '/api/client/flags': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The environment's ruleset for local evaluation
     * @description Flags, states and overrides; typed flags also carry type, variants, offVariant, rules and fallthrough, and `segments` lists the segments their rules use. Send If-None-Match with the last ETag: 304 when nothing changed.
     */
    get: operations['getRuleset'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/client/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Live changes (Server-Sent Events)
     * @description Event `snapshot` (a Ruleset) on connect, then `change` events ({version, changed, deleted, and segments/deletedSegments when a segment the flags use changed — its flags are in changed too}) as changes commit on any instance; each event id is the config version. Reconnect with Last-Event-ID to receive only what you missed. Event `credentials` (data `{}`, no id) says API tokens were created or revoked: a relay checks the credentials of its own open streams at once; SDKs ignore it. Comment lines are heartbeats. The stream ends when access ends — its token revoked (on any instance), an access token reaching `exp` — and after SSE_MAX_LIFETIME_MS; reconnect after the `retry:` delay. A reader that falls SSE_MAX_QUEUED_EVENTS events behind is dropped. One credential may hold SSE_MAX_STREAMS_PER_TOKEN streams per instance (429 beyond). Not for frontend tokens (403).
     */
    get: operations['streamChanges'];
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
  getRuleset: {
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
      /** @description The ruleset. */
      200: {
        headers: {
          /** @description The ruleset version; send it as If-None-Match to get a 304 while nothing changed. */
          ETag: string;
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Ruleset'];
        };
      };
      /** @description Not modified since the ETag in If-None-Match. */
      304: {
        headers: {
          /** @description The ruleset version; send it as If-None-Match to get a 304 while nothing changed. */
          ETag: string;
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
  streamChanges: {
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
}
