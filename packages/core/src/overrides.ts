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

/**
 * The override changes a schedule carries: users to set (as the override route takes them) and users whose override
 * goes. Applied with the rest of the schedule, in its transaction; removing an override that is not there is nothing
 * to do.
 */
export const scheduledOverridesSchema = z
  .strictObject({
    set: z.array(setOverrideBodySchema).max(500).optional(),
    remove: z.array(userIdSchema).max(500).optional(),
  })
  .superRefine((changes, context) => {
    const set = changes.set ?? [];
    const remove = changes.remove ?? [];
    if (set.length + remove.length === 0) {
      context.addIssue({ code: 'custom', message: 'give at least one user to set or remove' });
    }
    const seen = new Set<string>();
    for (const [index, body] of set.entries()) {
      if (seen.has(body.userId)) {
        context.addIssue({ code: 'custom', path: ['set', index, 'userId'], message: 'this user is set twice' });
      }
      seen.add(body.userId);
    }
    for (const [index, userId] of remove.entries()) {
      if (seen.has(userId)) {
        context.addIssue({
          code: 'custom',
          path: ['remove', index],
          message: 'this user is also set or removed before',
        });
      }
      seen.add(userId);
    }
  })
  .meta({ id: 'ScheduledOverrides' });
export type ScheduledOverrides = z.infer<typeof scheduledOverridesSchema>;

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
