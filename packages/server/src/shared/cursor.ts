import { instantInputSchema } from '@flagline/core';
import { AppError } from './errors';
import { isUuid } from './ids';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor; anything else is a 400 naming the field, never a 500. */
export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the validation error
  }
  throw new AppError('VALIDATION_FAILED', 'Invalid query: cursor: not a cursor this API returned.', {
    location: 'query',
    fields: { cursor: 'not a cursor this API returned' },
  });
}

/** A keyset position on (an instant, a uuid): what lists ordered by time then id hand out as their cursor. */
export interface TimeIdCursor {
  t: string;
  i: string;
}

/** `t` must be an instant PostgreSQL can read back (year 0 or 10000 would be a 500, not a 400); `i` a uuid. */
export const isTimeIdCursor = (value: unknown): value is TimeIdCursor =>
  typeof value === 'object' &&
  value !== null &&
  instantInputSchema.safeParse((value as { t?: unknown }).t).success &&
  isUuid(String((value as { i?: unknown }).i));
