import { z } from 'zod';
import { environmentKeySchema, flagKeySchema } from './common';
import type { EvaluableFlag } from './evaluation';
import { rolloutPercentageSchema } from './flags';
import type { OverrideType } from './overrides';
import {
  flagTypeSchema,
  ruleSchema,
  segmentSchema,
  serveSchema,
  variantKeySchema,
  variantSchema,
} from './targeting/schemas';

/** One flag as SDKs receive it for local evaluation. */
export const rulesetFlagSchema = z
  .object({
    key: flagKeySchema,
    description: z.string(),
    enabled: z.boolean(),
    rolloutPercentage: rolloutPercentageSchema,
    overrides: z.object({
      include: z.array(z.string()),
      exclude: z.array(z.string()),
      /** userId → variant for included users pinned to a variant other than the default `on`. */
      pins: z.record(z.string(), variantKeySchema).optional(),
    }),
    // Typed flags and targeting (design §4b). Absent = the origin's boolean model, so older rulesets still parse.
    type: flagTypeSchema.optional(),
    variants: z.array(variantSchema).optional(),
    offVariant: variantKeySchema.nullable().optional(),
    rules: z.array(ruleSchema).optional(),
    fallthrough: serveSchema.nullable().optional(),
  })
  .meta({ id: 'RulesetFlag' });
export type RulesetFlag = z.infer<typeof rulesetFlagSchema>;

export const rulesetSchema = z
  .object({
    environment: environmentKeySchema,
    version: z.number().int().meta({ description: 'Config version the ruleset was read at.' }),
    flags: z.array(rulesetFlagSchema),
    /** Segments referenced by the flags' rules. */
    segments: z.array(segmentSchema).optional(),
  })
  .meta({ id: 'Ruleset' });
export type Ruleset = z.infer<typeof rulesetSchema>;

/** The SSE `change` event: what changed in the environment since the previous event. */
export const rulesetChangeSchema = z
  .object({
    version: z.number().int(),
    changed: z.array(rulesetFlagSchema),
    deleted: z.array(flagKeySchema),
    /** Segments created or changed since the previous event (flags using them are in `changed` too). */
    segments: z.array(segmentSchema).optional(),
    deletedSegments: z.array(flagKeySchema).optional(),
  })
  .meta({ id: 'RulesetChange' });
export type RulesetChange = z.infer<typeof rulesetChangeSchema>;

/** Turns a ruleset flag into what evaluate() takes (overrides as one lookup map). */
export function toEvaluableFlag(flag: RulesetFlag): EvaluableFlag & { description: string } {
  const overrides = new Map<string, OverrideType>();
  for (const userId of flag.overrides.include) overrides.set(userId, 'include');
  for (const userId of flag.overrides.exclude) overrides.set(userId, 'exclude');
  return {
    key: flag.key,
    description: flag.description,
    enabled: flag.enabled,
    rolloutPercentage: flag.rolloutPercentage,
    overrides,
  };
}

export function toRulesetFlag(flag: EvaluableFlag & { description: string }): RulesetFlag {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const [userId, type] of flag.overrides) (type === 'include' ? include : exclude).push(userId);
  return {
    key: flag.key,
    description: flag.description,
    enabled: flag.enabled,
    rolloutPercentage: flag.rolloutPercentage,
    overrides: { include: include.sort(), exclude: exclude.sort() },
  };
}

// OpenFeature Remote Evaluation Protocol (OFREP) shapes.
export const ofrepContextSchema = z.object({ targetingKey: z.string().max(255).optional() }).catchall(z.unknown());
export const ofrepRequestSchema = z.object({ context: ofrepContextSchema.optional() }).meta({ id: 'OfrepRequest' });
export type OfrepRequest = z.infer<typeof ofrepRequestSchema>;

export const ofrepSuccessSchema = z
  .object({
    key: z.string(),
    /** Of the flag's type: boolean, string, number, or a JSON object or array. */
    value: z.union([z.boolean(), z.string(), z.number(), z.array(z.unknown()), z.record(z.string(), z.unknown())]),
    reason: z.string(),
    variant: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .meta({ id: 'OfrepEvaluationSuccess' });
export type OfrepSuccess = z.infer<typeof ofrepSuccessSchema>;

export const ofrepFailureSchema = z
  .object({
    key: z.string(),
    errorCode: z.enum([
      'PARSE_ERROR',
      'TARGETING_KEY_MISSING',
      'INVALID_CONTEXT',
      'GENERAL',
      'FLAG_NOT_FOUND',
      'TYPE_MISMATCH',
    ]),
    errorDetails: z.string().optional(),
  })
  .meta({ id: 'OfrepEvaluationFailure' });
export type OfrepFailure = z.infer<typeof ofrepFailureSchema>;

export const ofrepBulkResponseSchema = z
  .object({ flags: z.array(z.union([ofrepSuccessSchema, ofrepFailureSchema])) })
  .meta({ id: 'OfrepBulkResponse' });
export type OfrepBulkResponse = z.infer<typeof ofrepBulkResponseSchema>;

/** GET /ofrep/v1/configuration: what an OFREP provider may rely on (OFREP's configuration response). */
export const ofrepConfigurationSchema = z
  .object({
    name: z.string(),
    capabilities: z.object({
      cacheInvalidation: z.object({
        polling: z.object({
          enabled: z.boolean(),
          minPollingIntervalMs: z.int().min(0),
        }),
      }),
      flagEvaluation: z.object({
        supportedTypes: z.array(z.enum(['boolean', 'string', 'int', 'float', 'object'])),
      }),
    }),
  })
  .meta({ id: 'OfrepConfiguration' });
export type OfrepConfiguration = z.infer<typeof ofrepConfigurationSchema>;
