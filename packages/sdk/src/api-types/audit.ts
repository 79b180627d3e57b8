/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Audit" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/audit': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Query the audit trail, newest first */
    get: operations['listAuditEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/audit/verify': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Verify the audit trail's hash chain */
    get: operations['verifyAuditTrail'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/audit/export': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Export the audit trail (NDJSON or CSV), oldest first, streamed
     * @description Takes the same filters as the query. NDJSON is one event per line, ready for SIEM ingestion.
     */
    get: operations['exportAuditEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/audit/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get one audit event */
    get: operations['getAuditEvent'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/history': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A flag's history in an environment, newest first
     * @description The audit events of the flag as it exists now (a flag deleted and created again starts a new history): its creation, every edit, override and schedule event in this environment, and the events that concern every environment. Paged like the audit trail.
     */
    get: operations['getFlagHistory'];
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
  listAuditEvents: {
    parameters: {
      query?: {
        type?:
          | 'flag.created'
          | 'flag.updated'
          | 'flag.deleted'
          | 'flag_override.set'
          | 'flag.targeting_updated'
          | 'flag.variants_updated'
          | 'segment.created'
          | 'segment.updated'
          | 'segment.deleted'
          | 'flag_override.removed'
          | 'token.created'
          | 'token.revoked'
          | 'audit.checkpoint'
          | 'webhook.created'
          | 'webhook.deleted'
          | 'config.imported'
          | 'environment.created'
          | 'environment.updated'
          | 'change_request.requested'
          | 'change_request.approved'
          | 'change_request.rejected'
          | 'change_request.applied'
          | 'change_request.failed'
          | 'change_request.expired'
          | 'plan.created'
          | 'plan.paused'
          | 'plan.resumed'
          | 'plan.cancelled'
          | 'plan.completed'
          | 'flag_schedule.created'
          | 'flag_schedule.cancelled'
          | 'flag_schedule.applied'
          | 'flag_schedule.retrying'
          | 'flag_schedule.failed';
        /** @description Flag key. */
        flagKey?: string;
        /** @description Environment key, e.g. "production". */
        environment?: string;
        actorId?: string;
        scheduleId?: string;
        /** @description Events at or after this instant. */
        from?: string;
        /** @description Events before this instant. */
        to?: string;
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
      /** @description A page of events. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AuditPage'];
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
  verifyAuditTrail: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Whether every event still hashes to its stored hash. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AuditVerification'];
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
  exportAuditEvents: {
    parameters: {
      query?: {
        type?:
          | 'flag.created'
          | 'flag.updated'
          | 'flag.deleted'
          | 'flag_override.set'
          | 'flag.targeting_updated'
          | 'flag.variants_updated'
          | 'segment.created'
          | 'segment.updated'
          | 'segment.deleted'
          | 'flag_override.removed'
          | 'token.created'
          | 'token.revoked'
          | 'audit.checkpoint'
          | 'webhook.created'
          | 'webhook.deleted'
          | 'config.imported'
          | 'environment.created'
          | 'environment.updated'
          | 'change_request.requested'
          | 'change_request.approved'
          | 'change_request.rejected'
          | 'change_request.applied'
          | 'change_request.failed'
          | 'change_request.expired'
          | 'plan.created'
          | 'plan.paused'
          | 'plan.resumed'
          | 'plan.cancelled'
          | 'plan.completed'
          | 'flag_schedule.created'
          | 'flag_schedule.cancelled'
          | 'flag_schedule.applied'
          | 'flag_schedule.retrying'
          | 'flag_schedule.failed';
        /** @description Flag key. */
        flagKey?: string;
        /** @description Environment key, e.g. "production". */
        environment?: string;
        actorId?: string;
        scheduleId?: string;
        /** @description Events at or after this instant. */
        from?: string;
        /** @description Events before this instant. */
        to?: string;
        /** @description ndjson: one JSON event per line (SIEM). */
        format?: 'ndjson' | 'csv';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The events, streamed. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/x-ndjson': string;
          'text/csv': string;
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
  getAuditEvent: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The event. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AuditEvent'];
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
  getFlagHistory: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
        limit?: number;
        /** @description Opaque cursor from `nextCursor`. */
        cursor?: string;
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
      /** @description A page of events, newest first. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['AuditPage'];
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
