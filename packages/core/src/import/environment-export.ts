import { z } from 'zod';
import { environmentKeySchema, flagKeySchema, timestampSchema } from '../common';
import { overrideTypeSchema } from '../overrides';
import {
  environmentTargetingSchema,
  flagTypeSchema,
  segmentSchema,
  variantKeySchema,
  variantSchema,
} from '../targeting';

/*
 * Flagline's own export of one environment (for promoting development → production) and what both imports answer.
 */

export const ENVIRONMENT_EXPORT_FORMAT = 'flagline.environment.v1';

const exportedOverrideSchema = z.strictObject({
  userId: z.string().min(1).max(255),
  overrideType: overrideTypeSchema,
  variant: variantKeySchema.nullable(),
});

const importedFlagShape = {
  key: flagKeySchema,
  description: z.string().max(500),
  type: flagTypeSchema,
  variants: z.array(variantSchema),
  targeting: environmentTargetingSchema,
};

export const exportedFlagSchema = z
  .strictObject({ ...importedFlagShape, overrides: z.array(exportedOverrideSchema) })
  .meta({ id: 'ExportedFlag' });
export type ExportedFlag = z.infer<typeof exportedFlagSchema>;

export const environmentExportSchema = z
  .strictObject({
    format: z.literal(ENVIRONMENT_EXPORT_FORMAT),
    environment: environmentKeySchema,
    exportedAt: timestampSchema,
    flags: z.array(exportedFlagSchema),
    /** Every segment, used or not: segments are shared by all environments. */
    segments: z.array(segmentSchema),
  })
  .meta({ id: 'EnvironmentExport' });
export type EnvironmentExport = z.infer<typeof environmentExportSchema>;

const queryBoolean = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => value === 'true');

export const importQuerySchema = z.object({
  environment: environmentKeySchema
    .optional()
    .meta({ description: 'Environment to import into; defaults to "production".' }),
  dryRun: queryBoolean.meta({
    description: 'true: answer what would be created and what cannot be represented, change nothing.',
  }),
  onExisting: z.enum(['fail', 'replace']).default('fail').meta({
    description: 'What to do with flags and segments that already exist: fail (409 listing them) or replace them.',
  }),
});
export type ImportQuery = z.infer<typeof importQuerySchema>;

/** One flag as an import brings it into the environment: Unleash's carry no overrides, Flagline's own do. */
export const importedFlagSchema = z
  .strictObject({ ...importedFlagShape, overrides: z.array(exportedOverrideSchema).optional() })
  .meta({ id: 'ImportedFlag' });

export const unsupportedPartSchema = z
  .object({ path: z.string(), reason: z.string() })
  .meta({ description: 'A part of the source that could not be represented and was left out (see docs).' });

export const importActionSchema = z.enum(['create', 'replace', 'unchanged']);

export const importResultSchema = z
  .object({
    dryRun: z.boolean(),
    environment: environmentKeySchema,
    flags: z.array(z.object({ key: flagKeySchema, action: importActionSchema, rules: z.number().int() })),
    segments: z.array(z.object({ key: flagKeySchema, action: importActionSchema })),
    unsupported: z
      .array(unsupportedPartSchema)
      .meta({ description: 'Parts of the source that could not be represented and were left out (see docs).' }),
  })
  .meta({ id: 'ImportResult' });
export type ImportResult = z.infer<typeof importResultSchema>;
