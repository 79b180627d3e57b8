import type { ChangeRequest } from '@flagline/core';
import { ChangeRequestPending, FlaglineApiError } from '@flagline/sdk';

/**
 * The body of an answer from the client's typed OpenAPI paths (`client.api`), for routes the SDK's methods do not
 * cover the way the UI needs (?onConflict): a failure becomes a FlaglineApiError and a 202 a ChangeRequestPending, as
 * the SDK's own methods do.
 */

type Outcome<T> = { data?: T; error?: unknown; response: Response };
type Accepted = { changeRequest: ChangeRequest };

const isAccepted = (data: unknown): data is Accepted =>
  typeof data === 'object' && data !== null && 'changeRequest' in data;

export async function answered<T>(pending: Promise<Outcome<T>>): Promise<Exclude<T, Accepted>> {
  const { data, error, response } = await pending;
  if (error !== undefined || data === undefined) throw FlaglineApiError.fromAnswer(response.status, error);
  if (isAccepted(data)) throw new ChangeRequestPending(data.changeRequest);
  return data as Exclude<T, Accepted>;
}
