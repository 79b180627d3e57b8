import { AppError } from './errors';

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
