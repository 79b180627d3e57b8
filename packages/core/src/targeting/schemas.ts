import { z } from 'zod';
import { flagKeySchema } from '../common';

/**
 * The typed-flag and targeting model (design §4b). One flag has a type and named variants; each environment has its
 * own targeting: on/off, the variant served when off, ordered rules (first match wins) and a fallthrough.
 * Boolean flags keep the origin's `enabled` + `rolloutPercentage` as their shorthand: a boolean flag without
 * variants has the implicit variants `on` (true) and `off` (false), and without rules or a fallthrough it behaves
 * exactly as before.
 */

export const flagTypeSchema = z.enum(['boolean', 'string', 'number', 'json']).meta({ id: 'FlagType' });
export type FlagType = z.infer<typeof flagTypeSchema>;

/** A JSON variant value, serialised, may not exceed this many bytes (UTF-8). */
export const MAX_JSON_VARIANT_BYTES = 32 * 1024;
export const MAX_VARIANTS = 50;
export const MAX_RULES = 100;
export const MAX_CONSTRAINTS = 50;
export const MAX_CONSTRAINT_VALUES = 1000;
/** Unleash's total variant weight: splits are out of 1000 so imported distributions keep their users. */
export const SPLIT_TOTAL_WEIGHT = 1000;

export const variantKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'must start with a letter or digit and contain only A-Z, a-z, 0-9, ".", "_" and "-"',
  )
  .meta({ description: 'Variant name, e.g. "blue".', example: 'blue' });

export const variantSchema = z
  .strictObject({
    key: variantKeySchema,
    /** Checked against the flag's type by `variantValueProblem` (the type lives beside it, not here). */
    value: z
      .union([z.boolean(), z.string(), z.number(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
      .meta({ description: "A value of the flag's type: boolean, string, number, or a JSON object or array." }),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'Variant' });
export type Variant = z.infer<typeof variantSchema>;

/**
 * Dotted path into the evaluation context: `targetingKey`, `plan`, `account.country`. Unleash field names keep
 * theirs (`userId` is the targeting key, `sessionId`, `remoteAddress`, `appName`, `currentTime`).
 */
export const attributePathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+)*$/,
    'must be an attribute name or a dotted path such as "account.country"',
  )
  .meta({ example: 'plan' });

export const constraintOperatorSchema = z
  .enum([
    'IN',
    'NOT_IN',
    'STR_CONTAINS',
    'STR_STARTS_WITH',
    'STR_ENDS_WITH',
    'NUM_EQ',
    'NUM_GT',
    'NUM_GTE',
    'NUM_LT',
    'NUM_LTE',
    'DATE_AFTER',
    'DATE_BEFORE',
    'SEMVER_EQ',
    'SEMVER_GT',
    'SEMVER_GTE',
    'SEMVER_LT',
    'SEMVER_LTE',
  ])
  .meta({ id: 'ConstraintOperator' });
export type ConstraintOperator = z.infer<typeof constraintOperatorSchema>;

/** Operators that compare against exactly one value (Unleash's `value`); the others take a list (`values`). */
export const SINGLE_VALUE_OPERATORS: ReadonlySet<ConstraintOperator> = new Set([
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_GTE',
  'SEMVER_LT',
  'SEMVER_LTE',
]);

export const constraintSchema = z
  .strictObject({
    attribute: attributePathSchema,
    operator: constraintOperatorSchema,
    /** Always a list; single-value operators take exactly one (checked by `validateConstraint`). */
    values: z.array(z.string().max(1000)).max(MAX_CONSTRAINT_VALUES),
    inverted: z.boolean().optional(),
    caseInsensitive: z.boolean().optional(),
  })
  .meta({ id: 'Constraint' });
export type Constraint = z.infer<typeof constraintSchema>;

export const weightedVariantSchema = z
  .strictObject({
    variant: variantKeySchema,
    weight: z.number().int().min(0).max(SPLIT_TOTAL_WEIGHT).meta({ description: 'Out of 1000.' }),
  })
  .meta({ id: 'WeightedVariant' });

export const splitSchema = z
  .strictObject({
    variants: z.array(weightedVariantSchema).min(1).max(MAX_VARIANTS),
    /** Context attribute the split is sticky on; default: the targeting key, then `sessionId`. */
    stickiness: attributePathSchema.optional(),
    /** Hash salt; default: the flag key (Unleash's groupId). */
    groupId: z.string().min(1).max(200).optional(),
  })
  .refine((split) => split.variants.reduce((sum, v) => sum + v.weight, 0) === SPLIT_TOTAL_WEIGHT, {
    message: `weights must add up to ${SPLIT_TOTAL_WEIGHT} (100 %)`,
    path: ['variants'],
  })
  .meta({ id: 'Split' });
export type Split = z.infer<typeof splitSchema>;

/** What a rule or the fallthrough serves: one variant, or a sticky weighted split. */
export const serveSchema = z
  .union([z.strictObject({ variant: variantKeySchema }), z.strictObject({ split: splitSchema })])
  .meta({ id: 'Serve' });
export type Serve = z.infer<typeof serveSchema>;

export const ruleRolloutSchema = z
  .strictObject({
    percentage: z.number().int().min(0).max(100),
    stickiness: attributePathSchema.optional(),
    groupId: z.string().min(1).max(200).optional(),
  })
  .meta({ id: 'RuleRollout' });
export type RuleRollout = z.infer<typeof ruleRolloutSchema>;

export const segmentKeySchema = flagKeySchema.meta({ description: 'Segment key.', example: 'beta-testers' });

export const ruleSchema = z
  .strictObject({
    /** Stable id so diffs and the UI can follow a rule when the list is reordered. */
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
    description: z.string().max(500).optional(),
    /** All must hold (and every segment's constraints too). */
    constraints: z.array(constraintSchema).max(MAX_CONSTRAINTS).default([]),
    segments: z.array(segmentKeySchema).max(20).default([]),
    /** Only this share of the matching contexts takes the rule; the rest fall through to the next rule. */
    rollout: ruleRolloutSchema.optional(),
    serve: serveSchema,
  })
  .meta({ id: 'Rule' });
export type Rule = z.infer<typeof ruleSchema>;

/**
 * One flag's targeting in one environment. For boolean flags `rolloutPercentage` is the fallthrough shorthand
 * (bucket ≤ percentage → `on`); `fallthrough`, when set, replaces it.
 */
export const environmentTargetingSchema = z
  .strictObject({
    enabled: z.boolean(),
    rolloutPercentage: z.number().int().min(0).max(100),
    /** Served when `enabled` is false; default `off` for boolean flags, the first variant otherwise. */
    offVariant: variantKeySchema.nullable(),
    rules: z.array(ruleSchema).max(MAX_RULES),
    /** Served when no rule matches; null = boolean shorthand (`rolloutPercentage`) or, for other types, offVariant. */
    fallthrough: z.union([serveSchema, z.null()]),
  })
  .meta({ id: 'EnvironmentTargeting' });
export type EnvironmentTargeting = z.infer<typeof environmentTargetingSchema>;

export const segmentSchema = z
  .strictObject({
    key: segmentKeySchema,
    name: z.string().min(1).max(200),
    description: z.string().max(1000),
    constraints: z.array(constraintSchema).max(MAX_CONSTRAINTS),
  })
  .meta({ id: 'Segment' });
export type Segment = z.infer<typeof segmentSchema>;

/** Per-user overrides may pin a variant; without one, include serves `on` (boolean) and exclude serves offVariant. */
export const overridePinSchema = variantKeySchema.nullable();

/** The implicit variants of a boolean flag that declares none. */
export const BOOLEAN_VARIANTS: readonly Variant[] = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type FlagValue = boolean | string | number | JsonValue;

/** Checks a variant value against a flag type; returns the reason it does not fit, or null. */
export function variantValueProblem(type: FlagType, value: unknown): string | null {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false for a boolean flag';
    case 'string':
      return typeof value === 'string' ? null : 'must be a string for a string flag';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a finite number for a number flag';
    case 'json': {
      if (value === null || typeof value !== 'object') return 'must be a JSON object or array for a json flag';
      const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
      return bytes <= MAX_JSON_VARIANT_BYTES ? null : `is ${bytes} bytes; at most ${MAX_JSON_VARIANT_BYTES} allowed`;
    }
  }
}
