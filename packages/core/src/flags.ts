import { z } from 'zod';
import { cursorSchema, environmentKeySchema, flagKeySchema, pageOf, queryInt, timestampSchema } from './common';
import { flagTypeSchema, MAX_VARIANTS, variantSchema } from './targeting/index';

export const rolloutPercentageSchema = z.number().int().min(0).max(100);
export const descriptionSchema = z.string().max(1000);

export const flagViewSchema = z
  .object({
    key: flagKeySchema,
    description: z.string(),
    environment: environmentKeySchema,
    enabled: z.boolean(),
    rolloutPercentage: rolloutPercentageSchema,
    version: z.number().int().meta({ description: 'Version of this flag in this environment; send it as If-Match.' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({ id: 'FlagView' });
export type FlagView = z.infer<typeof flagViewSchema>;

export const createFlagBodySchema = z
  .strictObject({
    key: flagKeySchema,
    description: descriptionSchema.optional(),
    type: flagTypeSchema.optional().meta({ description: 'Default boolean.' }),
    variants: z
      .array(variantSchema)
      .max(MAX_VARIANTS)
      .optional()
      .meta({ description: 'Values of the flag type; string, number and json flags need at least one.' }),
  })
  .meta({ id: 'CreateFlagBody' });
export type CreateFlagBody = z.infer<typeof createFlagBodySchema>;

export const updateFlagBodySchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    rolloutPercentage: rolloutPercentageSchema.optional(),
    description: descriptionSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'give at least one of enabled, rolloutPercentage, description',
  })
  .meta({ id: 'UpdateFlagBody' });
export type UpdateFlagBody = z.infer<typeof updateFlagBodySchema>;

export const listFlagsQuerySchema = z.object({
  environment: environmentKeySchema.optional(),
  q: z.string().max(100).optional().meta({ description: 'Substring of the key or description.' }),
  limit: queryInt(1, 500, 100),
  cursor: cursorSchema,
});

export const flagPageSchema = pageOf(flagViewSchema).meta({ id: 'FlagPage' });
export type FlagPage = z.infer<typeof flagPageSchema>;

/** The evaluation endpoints' shapes (kept from the origin). */
export const evaluatedFlagsSchema = z.record(z.string(), z.boolean()).meta({ id: 'EvaluatedFlags' });
export const publicFlagSchema = z
  .object({
    key: flagKeySchema,
    enabled: z.boolean(),
    rolloutPercentage: rolloutPercentageSchema,
    description: z.string(),
  })
  .meta({ id: 'PublicFlag' });
export type PublicFlag = z.infer<typeof publicFlagSchema>;
