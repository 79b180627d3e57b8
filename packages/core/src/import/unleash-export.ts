import { z } from 'zod';
import type { EnvironmentTargeting, FlagType, Segment, Variant } from '../targeting';

/*
 * The shape of Unleash 6's export (`POST /api/admin/features-batch/export`) and of what converting it yields. The
 * schemas are lenient (extra fields pass) because the export grows between Unleash releases; only what the conversion
 * reads is declared.
 */

const unleashConstraintSchema = z.looseObject({
  contextName: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
  value: z.string().optional(),
  inverted: z.boolean().optional(),
  caseInsensitive: z.boolean().optional(),
});
export type UnleashConstraint = z.infer<typeof unleashConstraintSchema>;

const unleashVariantSchema = z.looseObject({
  name: z.string(),
  weight: z.number(),
  weightType: z.string().optional(),
  stickiness: z.string().optional(),
  payload: z.looseObject({ type: z.string(), value: z.string() }).optional(),
  overrides: z.array(z.looseObject({ contextName: z.string(), values: z.array(z.string()) })).optional(),
});
export type UnleashVariant = z.infer<typeof unleashVariantSchema>;

export const unleashStrategySchema = z.looseObject({
  id: z.string().optional(),
  name: z.string(),
  featureName: z.string(),
  title: z.string().nullish(),
  environment: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  constraints: z.array(unleashConstraintSchema).optional(),
  variants: z.array(unleashVariantSchema).optional(),
  segments: z.array(z.number().int()).optional(),
  sortOrder: z.number().optional(),
  disabled: z.boolean().nullish(),
});

const unleashSegmentSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullish(),
  constraints: z.array(unleashConstraintSchema).optional(),
});
export type UnleashSegment = z.infer<typeof unleashSegmentSchema>;

export const unleashExportSchema = z.looseObject({
  features: z.array(
    z.looseObject({
      name: z.string(),
      description: z.string().nullish(),
      type: z.string().optional(),
      archived: z.boolean().optional(),
    }),
  ),
  featureStrategies: z.array(unleashStrategySchema).default([]),
  featureEnvironments: z
    .array(
      z.looseObject({
        featureName: z.string(),
        environment: z.string().optional(),
        enabled: z.boolean(),
        variants: z.array(unleashVariantSchema).optional(),
      }),
    )
    .default([]),
  segments: z.array(unleashSegmentSchema).default([]),
  contextFields: z.array(z.looseObject({ name: z.string() })).optional(),
  dependencies: z
    .array(z.looseObject({ feature: z.string(), dependencies: z.array(z.looseObject({ feature: z.string() })) }))
    .optional(),
});
export type UnleashExport = z.infer<typeof unleashExportSchema>;

/** Items of `GET /api/admin/segments`, for exports that name segments without their constraints. */
export const unleashSegmentListSchema = z.array(unleashSegmentSchema);

export interface ImportedFlag {
  key: string;
  description: string;
  type: FlagType;
  variants: Variant[];
  targeting: EnvironmentTargeting;
}

export interface UnsupportedPart {
  /** Where in the export, e.g. `featureStrategies[3].constraints[0]`. */
  path: string;
  reason: string;
}

export interface ConvertedUnleashExport {
  flags: ImportedFlag[];
  segments: Segment[];
  unsupported: UnsupportedPart[];
}

export interface ConvertUnleashOptions {
  /** The Unleash environment to read when the export holds several; otherwise the one it holds. */
  unleashEnvironment?: string;
  /** Segments with their constraints (`GET /api/admin/segments` items), overriding the export's by id. */
  segments?: readonly UnleashSegment[];
}

export type UnleashStrategy = z.infer<typeof unleashStrategySchema>;
export type UnleashFeatureEnvironment = UnleashExport['featureEnvironments'][number];
