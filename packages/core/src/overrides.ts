import { z } from 'zod';
import { environmentKeySchema, queryInt, timestampSchema, userIdSchema } from './common';
import { variantKeySchema } from './targeting/index';

export const overrideTypeSchema = z.enum(['include', 'exclude']);
export type OverrideType = z.infer<typeof overrideTypeSchema>;

export const overrideSchema = z
  .object({
    userId: z.string(),
    overrideType: overrideTypeSchema,
    reason: z.string().nullable(),
    variant: variantKeySchema.optional().meta({ description: 'The variant an include pins; absent when none.' }),
    createdBy: z.string().nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({ id: 'Override' });
export type Override = z.infer<typeof overrideSchema>;

export const setOverrideBodySchema = z
  .strictObject({
    userId: userIdSchema,
    overrideType: overrideTypeSchema,
    reason: z.string().max(500).optional(),
    variant: variantKeySchema
      .optional()
      .meta({ description: "Include overrides only: the flag's variant to serve (default: on / fallthrough)." }),
  })
  .meta({ id: 'SetOverrideBody' });
export type SetOverrideBody = z.infer<typeof setOverrideBodySchema>;

export const listOverridesQuerySchema = z.object({
  environment: environmentKeySchema.optional(),
  page: queryInt(1, 1_000_000, 1),
  pageSize: queryInt(1, 500, 50),
});

export const overrideListSchema = z
  .object({
    includes: z.array(overrideSchema),
    excludes: z.array(overrideSchema),
    pagination: z.object({ page: z.number().int(), pageSize: z.number().int(), total: z.number().int() }),
  })
  .meta({ id: 'OverrideList' });
export type OverrideList = z.infer<typeof overrideListSchema>;
