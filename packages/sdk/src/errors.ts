import { type ChangeRequest, type ErrorBody, type ErrorCode, errorBodySchema } from '@flagline/core';

/** An error answer from the Flagline API, in the API's own error shape. */
export class FlaglineApiError extends Error {
  override name = 'FlaglineApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly details: Record<string, unknown> | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }

  /** From whatever an error answer carried: the design's error shape when it is one (a proxy's HTML page is not). */
  static fromAnswer(status: number, body: unknown): FlaglineApiError {
    const parsed = errorBodySchema.partial().safeParse(body);
    return FlaglineApiError.fromBody(status, parsed.success ? parsed.data : undefined);
  }

  static fromBody(status: number, body: Partial<ErrorBody> | undefined): FlaglineApiError {
    return new FlaglineApiError(
      status,
      body?.error ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED'),
      body?.message ?? `HTTP ${status}`,
      body?.details,
      body?.requestId,
    );
  }
}

/**
 * The environment is protected (four-eyes): the write was accepted as a change request (HTTP 202) and changes nothing
 * until another admin approves it. Thrown by the client's write methods, whose return value is the change made.
 */
export class ChangeRequestPending extends Error {
  override name = 'ChangeRequestPending';
  constructor(readonly changeRequest: ChangeRequest) {
    super(
      `Environment "${changeRequest.environment}" is protected: change request ${changeRequest.id} waits for another admin's approval.`,
    );
  }
}
