import { z } from 'zod';
import { environmentKeySchema, flagKeySchema, timestampSchema } from './common';
import {
  constraintSchema,
  environmentTargetingSchema,
  flagTypeSchema,
  MAX_CONSTRAINTS,
  MAX_VARIANTS,
  segmentKeySchema,
  variantSchema,
} from './targeting/index';

/** The admin API's shapes for typed flags, targeting and segments (the model itself is in targeting.ts). */

export const variantListSchema = z.array(variantSchema).max(MAX_VARIANTS);

/** A partial EnvironmentTargeting: the fields given replace the current ones, the others stay. */
export const environmentTargetingPatchSchema = environmentTargetingSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one of enabled, rolloutPercentage, offVariant, rules, fallthrough',
  })
  .meta({ id: 'EnvironmentTargetingPatch' });
export type EnvironmentTargetingPatch = z.infer<typeof environmentTargetingPatchSchema>;

export const flagTargetingSchema = z
  .object({
    flagKey: flagKeySchema,
    environment: environmentKeySchema,
    type: flagTypeSchema,
    variants: variantListSchema.meta({ description: 'Declared variants; a boolean flag without any has on/off.' }),
    targeting: environmentTargetingSchema,
    version: z.number().int().meta({ description: 'Version of this flag in this environment; send it as If-Match.' }),
    updatedAt: timestampSchema,
  })
  .meta({ id: 'FlagTargeting' });
export type FlagTargeting = z.infer<typeof flagTargetingSchema>;

export const setVariantsBodySchema = z.strictObject({ variants: variantListSchema }).meta({ id: 'SetVariantsBody' });
export type SetVariantsBody = z.infer<typeof setVariantsBodySchema>;

export const flagVariantsSchema = z
  .object({ flagKey: flagKeySchema, type: flagTypeSchema, variants: variantListSchema })
  .meta({ id: 'FlagVariants' });
export type FlagVariants = z.infer<typeof flagVariantsSchema>;

export const segmentUsageSchema = z.object({ flagKey: flagKeySchema, environment: environmentKeySchema });
export type SegmentUsage = z.infer<typeof segmentUsageSchema>;

export const segmentViewSchema = z
  .object({
    key: segmentKeySchema,
    name: z.string(),
    description: z.string(),
    constraints: z.array(constraintSchema),
    version: z.number().int().meta({ description: 'Version of the segment; send it as If-Match.' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    usedBy: z.array(segmentUsageSchema).meta({ description: 'The flags (per environment) whose rules use it.' }),
  })
  .meta({ id: 'SegmentView' });
export type SegmentView = z.infer<typeof segmentViewSchema>;

export const segmentListSchema = z.object({ items: z.array(segmentViewSchema) }).meta({ id: 'SegmentList' });
export type SegmentList = z.infer<typeof segmentListSchema>;

const segmentNameSchema = z.string().min(1).max(200);
const segmentDescriptionSchema = z.string().max(1000);

export const createSegmentBodySchema = z
  .strictObject({
    key: segmentKeySchema,
    name: segmentNameSchema,
    description: segmentDescriptionSchema.optional(),
    constraints: z.array(constraintSchema).max(MAX_CONSTRAINTS).optional(),
  })
  .meta({ id: 'CreateSegmentBody' });
export type CreateSegmentBody = z.infer<typeof createSegmentBodySchema>;

/** PUT replaces the segment: an omitted description becomes "", omitted constraints an empty list. */
export const replaceSegmentBodySchema = z
  .strictObject({
    name: segmentNameSchema,
    description: segmentDescriptionSchema.optional(),
    constraints: z.array(constraintSchema).max(MAX_CONSTRAINTS).optional(),
  })
  .meta({ id: 'ReplaceSegmentBody' });
export type ReplaceSegmentBody = z.infer<typeof replaceSegmentBodySchema>;

/** Any JSON value (null included) of a field before or after a change. */
const fieldValue = z.union([
  z.null(),
  z.boolean(),
  z.string(),
  z.number(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);
const changedValue = z.object({ before: fieldValue, after: fieldValue });

/** A field-level diff of one environment's targeting, as `flag.targeting_updated` records it. */
export const targetingDiffSchema = z
  .object({
    enabled: changedValue.optional(),
    rolloutPercentage: changedValue.optional(),
    offVariant: changedValue.optional(),
    fallthrough: changedValue.optional(),
    rules: z.object({
      added: z.array(z.string()).meta({ description: 'Ids of rules that are new.' }),
      removed: z.array(z.string()).meta({ description: 'Ids of rules that are gone.' }),
      moved: z
        .array(z.object({ id: z.string(), from: z.number().int(), to: z.number().int() }))
        .meta({ description: 'Rules whose order relative to the others changed (index before and after).' }),
      changed: z.array(
        z.object({
          id: z.string(),
          fields: z.array(z.object({ field: z.string(), before: fieldValue, after: fieldValue })),
        }),
      ),
    }),
  })
  .meta({ id: 'TargetingDiff' });
export type TargetingDiff = z.infer<typeof targetingDiffSchema>;
