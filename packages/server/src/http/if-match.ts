import { z } from '@hono/zod-openapi';
import { AppError } from '../shared/errors';

/** The If-Match request header of a versioned resource (`what`: "flag", "segment"). */
export const ifMatchHeadersFor = (what: string) =>
  z.object({
    'if-match': z
      .string()
      .optional()
      .meta({
        description: `The ${what} version (from its view's version) this change expects; 412 when it moved on.`,
      }),
  });

export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .optional()
    .meta({ description: 'The flag version (from FlagView.version) this change expects; 412 when it moved on.' }),
});

/** If-Match carries a version number, bare or as an (optionally weak) entity tag. */
export function parseIfMatch(header: string | undefined, what = 'flag'): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match?.[1]) {
    throw new AppError('VALIDATION_FAILED', `Invalid header: If-Match: must be a ${what} version number.`, {
      location: 'header',
      fields: { 'If-Match': `must be a ${what} version number` },
    });
  }
  return Number(match[1]);
}
