/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Rollout plans" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/flags/{flagKey}/plans': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A flag's rollout plans in an environment, newest first */
    get: operations['listPlans'];
    put?: never;
    /**
     * Create a rollout plan: ordered steps, each a schedule, all or none
     * @description Creates the plan and every step in one transaction; one invalid step answers 400 naming `steps.N.field` and creates nothing. `conflicts` lists pending schedules of the flag environment the steps collide with; with `onConflict=reject` any conflict answers 409 SCHEDULE_CONFLICT instead.
     */
    post: operations['createPlan'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/plans/{planId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One rollout plan with its steps */
    get: operations['getPlan'];
    put?: never;
    post?: never;
    /** Cancel a plan: its pending steps are cancelled */
    delete: operations['cancelPlan'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/plans/{planId}/pause': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Pause a plan */
    post: operations['pausePlan'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/flags/{flagKey}/plans/{planId}/resume': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Resume a paused plan (of the steps whose time passed meanwhile only the latest applies) */
    post: operations['resumePlan'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  listPlans: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
        /** @description active: steps apply at their times. paused: no step applies (also after a step failed). completed: the last step applied. cancelled: deleted; its pending steps were cancelled. */
        status?: 'active' | 'paused' | 'completed' | 'cancelled';
      };
      header?: never;
      path: {
        flagKey: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Plans. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlan'][];
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
  createPlan: {
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
        'application/json': components['schemas']['CreatePlanBody'];
      };
    };
    responses: {
      /** @description Created. */
      201: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlanWithConflicts'];
        };
      };
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
  getPlan: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        flagKey: string;
        planId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The plan. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlan'];
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
  cancelPlan: {
    parameters: {
      query?: {
        /** @description reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts. */
        onConflict?: 'allow' | 'reject';
      };
      header?: never;
      path: {
        flagKey: string;
        planId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The plan after the change. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlanWithConflicts'];
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
  pausePlan: {
    parameters: {
      query?: {
        /** @description reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts. */
        onConflict?: 'allow' | 'reject';
      };
      header?: never;
      path: {
        flagKey: string;
        planId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The plan after the change. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlanWithConflicts'];
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
  resumePlan: {
    parameters: {
      query?: {
        /** @description reject: 409 SCHEDULE_CONFLICT (nothing changes) when the change has conflicts. */
        onConflict?: 'allow' | 'reject';
      };
      header?: never;
      path: {
        flagKey: string;
        planId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The plan after the change. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutPlanWithConflicts'];
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
}
