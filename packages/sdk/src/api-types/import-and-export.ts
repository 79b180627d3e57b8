/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The "Import and export" routes. */
import type { components } from './components';

export interface paths {
  '/api/admin/import/unleash': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Import flags, rules and segments from Unleash's export
     * @description The body is the JSON of Unleash's `POST /api/admin/features-batch/export`. Its `segments` name segments without their constraints: replace them with the items of `GET /api/admin/segments`. Strategies carry no `sortOrder` in Unleash 6's export; add it from the feature's admin API where the variant served depends on the order.
     */
    post: operations['importUnleash'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/export': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Export an environment's flags, targeting, overrides and the segments */
    get: operations['exportEnvironment'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin/import': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Import an environment export (e.g. development's into production)
     * @description Creates missing flags and segments and replaces each flag's targeting and overrides in the environment. A flag whose type, variants or description differ, or a segment with other contents, is a conflict (409) unless `onExisting=replace`.
     */
    post: operations['importEnvironment'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface operations {
  importUnleash: {
    parameters: {
      query?: {
        /** @description Environment to import into; defaults to "production". */
        environment?: string;
        /** @description true: answer what would be created and what cannot be represented, change nothing. */
        dryRun?: 'true' | 'false';
        /** @description What to do with flags and segments that already exist: fail (409 listing them) or replace them. */
        onExisting?: 'fail' | 'replace';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          features: ({
            name: string;
            description?: string | null;
            type?: string;
            archived?: boolean;
          } & {
            [key: string]: unknown;
          })[];
          /** @default [] */
          featureStrategies?: ({
            id?: string;
            name: string;
            featureName: string;
            title?: string | null;
            environment?: string;
            parameters?: {
              [key: string]: string;
            };
            constraints?: ({
              contextName: string;
              operator: string;
              values?: string[];
              value?: string;
              inverted?: boolean;
              caseInsensitive?: boolean;
            } & {
              [key: string]: unknown;
            })[];
            variants?: ({
              name: string;
              weight: number;
              weightType?: string;
              stickiness?: string;
              payload?: {
                type: string;
                value: string;
              } & {
                [key: string]: unknown;
              };
              overrides?: ({
                contextName: string;
                values: string[];
              } & {
                [key: string]: unknown;
              })[];
            } & {
              [key: string]: unknown;
            })[];
            segments?: number[];
            sortOrder?: number;
            disabled?: boolean | null;
          } & {
            [key: string]: unknown;
          })[];
          /** @default [] */
          featureEnvironments?: ({
            featureName: string;
            environment?: string;
            enabled: boolean;
            variants?: ({
              name: string;
              weight: number;
              weightType?: string;
              stickiness?: string;
              payload?: {
                type: string;
                value: string;
              } & {
                [key: string]: unknown;
              };
              overrides?: ({
                contextName: string;
                values: string[];
              } & {
                [key: string]: unknown;
              })[];
            } & {
              [key: string]: unknown;
            })[];
          } & {
            [key: string]: unknown;
          })[];
          /** @default [] */
          segments?: ({
            id: number;
            name: string;
            description?: string | null;
            constraints?: ({
              contextName: string;
              operator: string;
              values?: string[];
              value?: string;
              inverted?: boolean;
              caseInsensitive?: boolean;
            } & {
              [key: string]: unknown;
            })[];
          } & {
            [key: string]: unknown;
          })[];
          contextFields?: ({
            name: string;
          } & {
            [key: string]: unknown;
          })[];
          dependencies?: ({
            feature: string;
            dependencies: ({
              feature: string;
            } & {
              [key: string]: unknown;
            })[];
          } & {
            [key: string]: unknown;
          })[];
        } & {
          [key: string]: unknown;
        };
      };
    };
    responses: {
      /** @description What was imported (or, with dryRun, would be) and what could not be represented. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ImportResult'];
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
      409: components['responses']['Conflict'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
  exportEnvironment: {
    parameters: {
      query?: {
        /** @description Environment; defaults to "production". A client token always uses its own environment. */
        environment?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The environment, as POST /api/admin/import takes it. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['EnvironmentExport'];
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
  importEnvironment: {
    parameters: {
      query?: {
        /** @description Environment to import into; defaults to "production". */
        environment?: string;
        /** @description true: answer what would be created and what cannot be represented, change nothing. */
        dryRun?: 'true' | 'false';
        /** @description What to do with flags and segments that already exist: fail (409 listing them) or replace them. */
        onExisting?: 'fail' | 'replace';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['EnvironmentExport'];
      };
    };
    responses: {
      /** @description What was imported (or, with dryRun, would be) and what could not be represented. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['X-Request-Id'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ImportResult'];
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
      409: components['responses']['Conflict'];
      413: components['responses']['PayloadTooLarge'];
      500: components['responses']['InternalError'];
      503: components['responses']['Unavailable'];
    };
  };
}
