/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Schedules" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/flags/{flagKey}/schedule': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A flag's schedules in an environment, by scheduled time */
    get: operations['listFlagSchedules'];
    put?: never;
    /**
     * Schedule a change to a flag
     * @description Applied automatically at scheduledAt (retried on transient failure), with who scheduled it on record.
     */
    post: operations['createSchedule'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/schedule/{scheduleId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One schedule */
    get: operations['getSchedule'];
    put?: never;
    post?: never;
    /** Cancel a pending schedule */
    delete: operations['cancelSchedule'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/schedules': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Schedules across flags, by scheduled time */
    get: operations['listSchedules'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/schedules/preview': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * The next occurrences of a cron or window, before scheduling it
     * @description Takes the `recurrence` or `window` of a schedule body and answers the next 10 occurrences in UTC and local time, checked as creation checks them (400 naming the field). Changes nothing.
     */
    post: operations['previewRecurrence'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  listFlagSchedules: {
    parameters: {
      query?: {
        /** @description Environment key, e.g. "production". */
        environment?: string;
        /** @description paused: a step of a paused rollout plan (not applied until resumed). skipped: a plan step whose time passed while its plan was paused, superseded by a later step on resume. */
        status?: 'pending' | 'applied' | 'failed' | 'cancelled' | 'completed' | 'paused' | 'skipped';
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Schedules. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Schedule'][];
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
  createSchedule: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
        /** @description reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts. */
        onConflict?: 'allow' | 'reject';
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['CreateScheduleBody'];
      };
    };
    responses: {
      /** @description Scheduled. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ScheduleCreated'];
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
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  getSchedule: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        flagKey: string;
        scheduleId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The schedule. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Schedule'];
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
  cancelSchedule: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        flagKey: string;
        scheduleId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Cancelled. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          'Flagline-Environment': components['headers']['Flagline-Environment'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Schedule'];
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
  listSchedules: {
    parameters: {
      query?: {
        /** @description paused: a step of a paused rollout plan (not applied until resumed). skipped: a plan step whose time passed while its plan was paused, superseded by a later step on resume. */
        status?: 'pending' | 'applied' | 'failed' | 'cancelled' | 'completed' | 'paused' | 'skipped';
        /** @description Environment key, e.g. "production". */
        environment?: string;
        /** @description Scheduled at or after this instant. */
        from?: string;
        /** @description Scheduled before this instant. */
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
      /** @description A page of schedules. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['SchedulePage'];
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
  previewRecurrence: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RecurrencePreviewBody'];
      };
    };
    responses: {
      /** @description The occurrences. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RecurrencePreview'];
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
}
