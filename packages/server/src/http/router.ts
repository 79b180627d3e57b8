import { changeRequestAcceptedSchema, errorBodySchema, problemBodySchema } from '@flagline/core';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';
import { validationError } from './validation';

/** Every router validates with the Zod contracts and turns a failure into VALIDATION_FAILED naming the field. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}

/** Errors come as the design's JSON, or as RFC 9457 problem details when Accept asks for them (error-response.ts). */
export const errorContent = (description: string) => ({
  description,
  content: {
    'application/json': { schema: errorBodySchema },
    'application/problem+json': { schema: problemBodySchema },
  },
});

/** The error responses any authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: errorContent('Invalid input (VALIDATION_FAILED, INVALID_JSON).'),
  401: errorContent('Missing or invalid credentials.'),
  403: errorContent('The credentials do not allow this.'),
  413: errorContent('Body larger than 64 KiB.'),
} as const;

export const notFoundError = { 404: errorContent('Not found.') } as const;
export const conflictError = { 409: errorContent('Already exists, or not in a state that allows this.') } as const;
/** Writes that check schedule conflicts: with ?onConflict=reject a conflict is a 409 listing them. */
export const scheduleConflictError = {
  409: errorContent(
    'SCHEDULE_CONFLICT (only with ?onConflict=reject; `details.conflicts` lists them, nothing changed), or INVALID_STATE.',
  ),
} as const;
export const preconditionError = { 412: errorContent('If-Match did not match the current version.') } as const;
export const rateLimitedError = { 429: errorContent('Too many changes; try again later.') } as const;

export const bearerSecurity = [{ bearerAuth: [] }];

export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** Every guarded write: in a protected environment it becomes a change request (four-eyes). */
export const changeRequestAccepted = {
  202: jsonContent(
    changeRequestAcceptedSchema,
    'The environment is protected: nothing changed yet; the change waits as a change request for another admin to approve.',
  ),
};
