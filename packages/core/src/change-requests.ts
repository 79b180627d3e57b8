import { z } from 'zod';
import { actorSchema } from './audit';
import { cursorSchema, environmentKeySchema, flagKeySchema, queryInt, timestampSchema } from './common';
import { updateFlagBodySchema } from './flags';
import { importedFlagSchema, unsupportedPartSchema } from './import/environment-export';
import { setOverrideBodySchema } from './overrides';
import { createPlanBodySchema } from './plans';
import { createScheduleBodySchema } from './schedules';
import { segmentSchema } from './targeting';
import { environmentTargetingPatchSchema, setVariantsBodySchema } from './targeting-api';

/**
 * What a change request holds: the same body the direct route takes, so approving it runs exactly the change that
 * was asked for. `expectedVersion` is the version the requester saw: if the flag moved on before approval, applying
 * fails instead of overwriting a change the approver never reviewed.
 */
const expectedVersionSchema = z
  .number()
  .int()
  .optional()
  .meta({ description: 'The version the requester saw; always set on a stored request.' });

export const requestedChangeSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('flag.update'), body: updateFlagBodySchema, expectedVersion: expectedVersionSchema }),
    z.object({
      kind: z.literal('flag.targeting'),
      body: environmentTargetingPatchSchema,
      expectedVersion: expectedVersionSchema,
    }),
    z.object({ kind: z.literal('override.set'), body: setOverrideBodySchema }),
    z.object({ kind: z.literal('override.remove'), userId: z.string() }),
    z.object({ kind: z.literal('schedule.create'), body: createScheduleBodySchema }),
    z.object({ kind: z.literal('plan.create'), body: createPlanBodySchema }),
    z.object({ kind: z.literal('environment.unprotect') }),
    z.object({ kind: z.literal('flag.variants'), body: setVariantsBodySchema }),
    z.object({ kind: z.literal('flag.delete') }),
    z.object({
      kind: z.literal('config.import'),
      source: z.enum(['flagline', 'unleash']),
      flags: z.array(importedFlagSchema),
      segments: z.array(segmentSchema),
      unsupported: z.array(unsupportedPartSchema),
      onExisting: z.enum(['fail', 'replace']),
    }),
  ])
  .meta({ id: 'RequestedChange' });
export type RequestedChange = z.infer<typeof requestedChangeSchema>;
export type RequestedChangeKind = RequestedChange['kind'];

export const changeRequestStatusSchema = z.enum(['pending', 'applied', 'rejected', 'failed', 'expired']).meta({
  description:
    'pending: waiting for a second admin. applied: approved and carried out (a schedule: approved and armed). rejected. failed: approved, but the change no longer applied (the flag moved on); nothing was changed. expired: a schedule whose time passed before anyone approved it.',
});
export type ChangeRequestStatus = z.infer<typeof changeRequestStatusSchema>;

/** One audit event the change would record, as previewed when it was requested: the diff a reviewer approves. */
export const changePreviewSchema = z.object({
  type: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
});

export const changeRequestSchema = z
  .object({
    id: z.string(),
    environment: environmentKeySchema,
    flagKey: flagKeySchema.nullable(),
    change: requestedChangeSchema,
    status: changeRequestStatusSchema,
    preview: z.array(changePreviewSchema).meta({ description: 'What the change would record, as of the request.' }),
    requestedBy: actorSchema,
    requestedAt: timestampSchema,
    comment: z.string().nullable(),
    decidedBy: actorSchema.nullable(),
    decidedAt: timestampSchema.nullable(),
    decisionComment: z.string().nullable(),
    error: z.string().nullable().meta({ description: 'Why applying failed, for status failed or expired.' }),
    expiresAt: timestampSchema
      .nullable()
      .meta({ description: 'Schedules: the request expires at the scheduled time.' }),
  })
  .meta({ id: 'ChangeRequest' });
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** The 202 body of any write to a protected environment. */
export const changeRequestAcceptedSchema = z
  .object({ changeRequest: changeRequestSchema })
  .meta({ id: 'ChangeRequestAccepted' });
export type ChangeRequestAccepted = z.infer<typeof changeRequestAcceptedSchema>;

export const decideChangeRequestBodySchema = z
  .strictObject({ comment: z.string().max(1000).optional() })
  .meta({ id: 'DecideChangeRequestBody' });
export type DecideChangeRequestBody = z.infer<typeof decideChangeRequestBodySchema>;

export const listChangeRequestsQuerySchema = z.object({
  status: changeRequestStatusSchema.optional(),
  environment: environmentKeySchema.optional(),
  flagKey: flagKeySchema.optional(),
  limit: queryInt(1, 200, 50),
  cursor: cursorSchema,
});
export type ListChangeRequestsQuery = z.infer<typeof listChangeRequestsQuerySchema>;

export const changeRequestPageSchema = z
  .object({ items: z.array(changeRequestSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ChangeRequestPage' });
export type ChangeRequestPage = z.infer<typeof changeRequestPageSchema>;
