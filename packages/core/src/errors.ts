import { z } from 'zod';

/** Every error the API can answer with, and the one HTTP status each maps to. */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  SCHEDULE_CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatus = (typeof errorStatus)[ErrorCode];

export const errorCodeSchema = z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]);

export const errorBodySchema = z
  .object({
    error: errorCodeSchema,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string(),
  })
  .meta({ id: 'Error', description: 'Every error response has this shape.' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A short, fixed summary per code: the `title` of an RFC 9457 problem. */
export const errorTitles: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  INVALID_JSON: 'Invalid JSON',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  ALREADY_EXISTS: 'Already exists',
  INVALID_STATE: 'Invalid state',
  SCHEDULE_CONFLICT: 'Schedule conflict',
  PRECONDITION_FAILED: 'Precondition failed',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  RATE_LIMITED: 'Rate limited',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Unavailable',
};

/** The `type` URI of the problem a code maps to (a URN: it names the problem, nobody is meant to fetch it). */
export const problemType = (code: ErrorCode): string => `urn:flagline:error:${code}`;

/**
 * The same error as RFC 9457 `application/problem+json`, for clients whose Accept asks for it: the design's fields
 * mapped to type/title/status/detail, with `code`, `requestId` and `details` as extension members.
 */
export const problemBodySchema = z
  .object({
    type: z.string().meta({ description: 'urn:flagline:error:<code>' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: errorCodeSchema,
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string(),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details, sent when Accept asks for application/problem+json.',
  });

export type ProblemBody = z.infer<typeof problemBodySchema>;
