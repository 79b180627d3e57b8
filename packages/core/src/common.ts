import { z } from 'zod';

export const environmentKeySchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must start with a lowercase letter or digit and contain only a-z, 0-9, "_" and "-"')
  .meta({ description: 'Environment key, e.g. "production".', example: 'production' });

export const flagKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    'must start with a lowercase letter or digit and contain only a-z, 0-9, ".", "_" and "-"',
  )
  .meta({ description: 'Flag key.', example: 'new-checkout' });

export const userIdSchema = z.string().min(1).max(255);

export const timestampSchema = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 timestamp (UTC).' });

/**
 * A timestamp a client sends: ISO 8601 and, once its offset is applied, within the years 1..9999 (year 0, negative
 * years and five-digit years have no plain ISO 8601 form PostgreSQL accepts).
 */
export const instantInputSchema = timestampSchema.refine(
  (value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 1 && year <= 9999;
  },
  { message: 'must be between the years 0001 and 9999 (UTC)' },
);

/**
 * Query-string integers arrive as text; reject anything that is not a plain base-10 integer (z.coerce would take
 * "1e2", " 5" and "0x10"). Documented as the integer it stands for.
 */
export const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback)
    .meta({ type: 'integer', minimum: min, maximum: max, default: fallback });

export const environmentQuerySchema = z.object({
  environment: environmentKeySchema.optional().meta({
    description: 'Environment; defaults to "production". A client token always uses its own environment.',
  }),
});

export const cursorSchema = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .meta({ description: 'Opaque cursor from `nextCursor`.' });

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
