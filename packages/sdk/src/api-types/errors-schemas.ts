/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the errors, which several groups of routes use. */

export interface ErrorsSchemas {
  /** @description Every error response has this shape. */
  Error: {
    /** @enum {string} */
    error:
      | 'VALIDATION_FAILED'
      | 'INVALID_JSON'
      | 'UNAUTHORIZED'
      | 'FORBIDDEN'
      | 'NOT_FOUND'
      | 'ALREADY_EXISTS'
      | 'INVALID_STATE'
      | 'SCHEDULE_CONFLICT'
      | 'PRECONDITION_FAILED'
      | 'PAYLOAD_TOO_LARGE'
      | 'RATE_LIMITED'
      | 'INTERNAL'
      | 'UNAVAILABLE';
    message: string;
    details?: {
      [key: string]: unknown;
    };
    requestId: string;
  };
  /** @description RFC 9457 problem details, sent when Accept asks for application/problem+json. */
  Problem: {
    /** @description urn:flagline:error:<code> */
    type: string;
    title: string;
    status: number;
    detail: string;
    /** @enum {string} */
    code:
      | 'VALIDATION_FAILED'
      | 'INVALID_JSON'
      | 'UNAUTHORIZED'
      | 'FORBIDDEN'
      | 'NOT_FOUND'
      | 'ALREADY_EXISTS'
      | 'INVALID_STATE'
      | 'SCHEDULE_CONFLICT'
      | 'PRECONDITION_FAILED'
      | 'PAYLOAD_TOO_LARGE'
      | 'RATE_LIMITED'
      | 'INTERNAL'
      | 'UNAVAILABLE';
    details?: {
      [key: string]: unknown;
    };
    requestId: string;
  };
}
