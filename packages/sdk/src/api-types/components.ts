/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

import type { AuditEventSchemas } from './audit-event-schemas';
import type { AuditSchemas } from './audit-schemas';
import type { ChangeRequestsSchemas } from './change-requests-schemas';
import type { DeliverySchemas } from './delivery-schemas';
import type { EnvironmentsSchemas } from './environments-schemas';
import type { ErrorsSchemas } from './errors-schemas';
import type { EvaluationSchemas } from './evaluation-schemas';
import type { FlagsSchemas } from './flags-schemas';
import type { GuardedWritesSchemas } from './guarded-writes-schemas';
import type { ImportAndExportSchemas } from './import-and-export-schemas';
import type { OpenfeatureOfrepSchemas } from './openfeature-ofrep-schemas';
import type { OverridesSchemas } from './overrides-schemas';
import type { RolloutPlansSchemas } from './rollout-plans-schemas';
import type { SchedulesSchemas } from './schedules-schemas';
import type { SegmentsSchemas } from './segments-schemas';
import type { SharedSchemas } from './shared-schemas';
import type { TargetingModelSchemas } from './targeting-model-schemas';
import type { TargetingSchemas } from './targeting-schemas';
import type { TokensSchemas } from './tokens-schemas';
import type { WebhooksSchemas } from './webhooks-schemas';

/** Every schema, from the files that group them by the routes using them. */
export interface schemas
  extends AuditSchemas,
    AuditEventSchemas,
    ChangeRequestsSchemas,
    DeliverySchemas,
    EnvironmentsSchemas,
    ErrorsSchemas,
    EvaluationSchemas,
    FlagsSchemas,
    GuardedWritesSchemas,
    ImportAndExportSchemas,
    OpenfeatureOfrepSchemas,
    OverridesSchemas,
    RolloutPlansSchemas,
    SchedulesSchemas,
    SegmentsSchemas,
    SharedSchemas,
    TargetingSchemas,
    TargetingModelSchemas,
    TokensSchemas,
    WebhooksSchemas {}

export interface components {
  schemas: schemas;
  responses: {
    /** @description Invalid input (VALIDATION_FAILED, INVALID_JSON). */
    BadRequest: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Missing or invalid credentials. */
    Unauthorized: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        'WWW-Authenticate': components['headers']['WWW-Authenticate'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description The credentials do not allow this. */
    Forbidden: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Body larger than 64 KiB. */
    PayloadTooLarge: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description An unexpected error; it was logged with the request id. */
    InternalError: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description The database (or the identity provider’s signing keys) cannot be reached; try again after Retry-After. */
    Unavailable: {
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
    /** @description Not found. */
    NotFound: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description This credential holds SSE_MAX_STREAMS_PER_TOKEN streams already; see Retry-After. */
    TooManyRequests: {
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
    /** @description Already exists, or not in a state that allows this. */
    Conflict: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description If-Match did not match the current version. */
    PreconditionFailed: {
      headers: {
        'X-Request-Id': components['headers']['X-Request-Id'];
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
        'application/problem+json': components['schemas']['Problem'];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: {
    /** @description The id of this request: echoed from the request when it sent a valid one, else generated. */
    'X-Request-Id': string;
    /** @description Seconds to wait before trying again. */
    'Retry-After': number;
    /** @description `Bearer realm="flagline"`, with `error="invalid_token"` when a token was sent and refused. */
    'WWW-Authenticate': string;
    /** @description The environment this write changed: `?environment=`, else FLAGLINE_DEFAULT_ENVIRONMENT (a client token’s own). */
    'Flagline-Environment': string;
  };
  pathItems: never;
}
export type webhooks = Record<string, never>;
export type $defs = Record<string, never>;
