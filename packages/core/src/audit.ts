import { z } from 'zod';
import {
  cursorSchema,
  environmentKeySchema,
  flagKeySchema,
  instantInputSchema,
  queryInt,
  timestampSchema,
} from './common';
import { rolloutPercentageSchema } from './flags';
import { overrideTypeSchema, scheduledOverridesSchema } from './overrides';
import { MAX_RULES, ruleSchema, segmentKeySchema, serveSchema, variantKeySchema } from './targeting/index';
import { segmentUsageSchema, targetingDiffSchema } from './targeting-api';
import { roleSchema } from './tokens';

export const actorTypeSchema = z.enum(['user', 'token', 'system']);
export type ActorType = z.infer<typeof actorTypeSchema>;

export const actorSchema = z.object({ type: actorTypeSchema, id: z.string(), email: z.string().nullable() });
export type Actor = z.infer<typeof actorSchema>;

/** The changes a schedule carries; also what `flag_schedule.*` events record. */
export const scheduleUpdatesSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    rolloutPercentage: rolloutPercentageSchema.optional(),
    offVariant: variantKeySchema.nullable().optional(),
    rules: z.array(ruleSchema).max(MAX_RULES).optional(),
    fallthrough: z.union([serveSchema, z.null()]).optional(),
    overrides: scheduledOverridesSchema.optional(),
  })
  // Named, so the event union, schedules and their bodies refer to one schema instead of repeating it.
  .meta({ id: 'RecordedScheduleUpdates' });

const flagStateSnapshot = z
  .object({ enabled: z.boolean(), rolloutPercentage: rolloutPercentageSchema })
  .meta({ id: 'FlagStateSnapshot' });

/** Four-eyes approval: every step of a change request is an event of its own, naming the request. */
const changeRequestData = z
  .object({
    changeRequestId: z.string(),
    kind: z.string(),
    comment: z.string().nullable().optional(),
    error: z.string().optional(),
  })
  .meta({ id: 'ChangeRequestEventData' });
const changeRequestEvents = [
  z.object({ type: z.literal('change_request.requested'), data: changeRequestData }),
  z.object({ type: z.literal('change_request.approved'), data: changeRequestData }),
  z.object({ type: z.literal('change_request.rejected'), data: changeRequestData }),
  z.object({ type: z.literal('change_request.applied'), data: changeRequestData }),
  z.object({ type: z.literal('change_request.failed'), data: changeRequestData }),
  z.object({ type: z.literal('change_request.expired'), data: changeRequestData }),
] as const;

/** Rollout plans: each act on the plan as a unit is one event (its steps have their flag_schedule.* events). */
const planData = z
  .object({
    planId: z.string(),
    flagKey: flagKeySchema,
    name: z.string().nullable(),
    steps: z.number().int(),
    reason: z.string().optional(),
    scheduleIds: z.array(z.string()).optional(),
    /** On resume: steps whose time passed while paused, superseded by the latest of them. */
    skippedScheduleIds: z.array(z.string()).optional(),
  })
  .meta({ id: 'PlanEventData' });
const planEvents = [
  z.object({ type: z.literal('plan.created'), data: planData }),
  z.object({ type: z.literal('plan.paused'), data: planData }),
  z.object({ type: z.literal('plan.resumed'), data: planData }),
  z.object({ type: z.literal('plan.cancelled'), data: planData }),
  z.object({ type: z.literal('plan.completed'), data: planData }),
] as const;

/** The schedule events' data, named: the event union stays short enough to read in the generated types. */
const scheduleCreatedData = z
  .object({
    scheduleId: z.string(),
    flagKey: flagKeySchema,
    scheduledAt: z.string(),
    updates: scheduleUpdatesSchema,
    adminUserId: z.string(),
    adminEmail: z.string().nullable(),
    /** A recurring schedule's cron or window (its scheduledAt is the first occurrence). */
    recurrence: z.record(z.string(), z.unknown()).optional(),
    /** A step of a rollout plan. */
    planId: z.string().optional(),
  })
  .meta({ id: 'ScheduleCreatedEventData' });
const scheduleAppliedData = z
  .object({
    scheduleId: z.string(),
    flagKey: flagKeySchema,
    updates: scheduleUpdatesSchema,
    appliedAt: z.string(),
    flagState: flagStateSnapshot,
    /** An occurrence of a recurring schedule (scheduleId is then the recurring schedule's id). */
    recurringScheduleId: z.string().optional(),
    occurrenceAt: z.string().optional(),
    action: z.enum(['on', 'off']).optional(),
    /** Occurrences missed during downtime and skipped: only the latest missed one is applied. */
    skippedOccurrences: z.number().int().optional(),
    /** A step of a rollout plan. */
    planId: z.string().optional(),
    planStep: z.number().int().optional(),
  })
  .meta({ id: 'ScheduleAppliedEventData' });

/**
 * One entry per event type: the type name and what its `data` holds. The flag_schedule.* fields are the origin's
 * audit metadata, kept so existing log queries keep working.
 */
export const auditEventDataSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('flag.created'),
    data: z.object({ flagKey: flagKeySchema, description: z.string() }),
  }),
  z.object({
    type: z.literal('flag.updated'),
    data: z.object({ flagKey: flagKeySchema, changedFields: z.array(z.string()) }),
  }),
  z.object({
    type: z.literal('flag.deleted'),
    data: z.object({ flagKey: flagKeySchema, cancelledScheduleIds: z.array(z.string()) }),
  }),
  z.object({
    type: z.literal('flag_override.set'),
    data: z.object({
      flagKey: flagKeySchema,
      userId: z.string(),
      overrideType: overrideTypeSchema,
      reason: z.string().nullable(),
      variant: variantKeySchema.optional(),
    }),
  }),
  z.object({
    type: z.literal('flag.targeting_updated'),
    data: z.object({ flagKey: flagKeySchema, changedFields: z.array(z.string()), diff: targetingDiffSchema }),
  }),
  z.object({
    type: z.literal('flag.variants_updated'),
    data: z.object({
      flagKey: flagKeySchema,
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.string()),
    }),
  }),
  z.object({
    type: z.literal('segment.created'),
    data: z.object({ segmentKey: segmentKeySchema, name: z.string() }),
  }),
  z.object({
    type: z.literal('segment.updated'),
    data: z.object({
      segmentKey: segmentKeySchema,
      changedFields: z.array(z.string()),
      usedBy: z.array(segmentUsageSchema),
    }),
  }),
  z.object({
    type: z.literal('segment.deleted'),
    data: z.object({ segmentKey: segmentKeySchema }),
  }),
  z.object({
    type: z.literal('flag_override.removed'),
    data: z.object({ flagKey: flagKeySchema, userId: z.string() }),
  }),
  z.object({
    type: z.literal('token.created'),
    data: z.object({ tokenId: z.string(), name: z.string(), role: roleSchema, environment: z.string().nullable() }),
  }),
  z.object({
    type: z.literal('token.revoked'),
    data: z.object({ tokenId: z.string(), name: z.string(), role: roleSchema }),
  }),
  z.object({
    // A signed checkpoint of the chain head, published this way to webhook receivers (docs/audit.md).
    type: z.literal('audit.checkpoint'),
    data: z.object({
      format: z.string(),
      position: z.number().int(),
      hash: z.string().nullable(),
      createdAt: z.string(),
      keyId: z.string(),
      signature: z.string(),
    }),
  }),
  z.object({
    type: z.literal('webhook.created'),
    data: z.object({ webhookId: z.string(), url: z.string(), eventTypes: z.array(z.string()).nullable() }),
  }),
  z.object({
    type: z.literal('webhook.deleted'),
    data: z.object({ webhookId: z.string(), url: z.string() }),
  }),
  z.object({
    // One import (Unleash's export or Flagline's own) into one environment; the flags it created or changed have
    // their own flag.created / flag.updated events in the same transaction.
    type: z.literal('config.imported'),
    data: z.object({
      source: z.enum(['unleash', 'flagline']),
      flags: z.array(z.object({ key: flagKeySchema, action: z.enum(['create', 'replace', 'unchanged']) })),
      segments: z.array(z.object({ key: flagKeySchema, action: z.enum(['create', 'replace', 'unchanged']) })),
      unsupported: z.array(z.object({ path: z.string(), reason: z.string() })),
    }),
  }),
  z.object({
    type: z.literal('environment.created'),
    data: z.object({ key: environmentKeySchema, name: z.string() }),
  }),
  z.object({
    type: z.literal('environment.updated'),
    data: z.object({ key: environmentKeySchema, changedFields: z.array(z.string()) }),
  }),
  ...changeRequestEvents,
  ...planEvents,
  z.object({
    type: z.literal('flag_schedule.created'),
    data: scheduleCreatedData,
  }),
  z.object({
    type: z.literal('flag_schedule.cancelled'),
    data: z.object({
      scheduleId: z.string(),
      flagKey: flagKeySchema,
      scheduledAt: z.string(),
      adminUserId: z.string(),
      adminEmail: z.string().nullable(),
      reason: z.string(),
    }),
  }),
  z.object({ type: z.literal('flag_schedule.applied'), data: scheduleAppliedData }),
  z.object({
    type: z.literal('flag_schedule.retrying'),
    data: z.object({
      scheduleId: z.string(),
      flagKey: flagKeySchema,
      retryCount: z.number().int(),
      nextRetryAt: z.string(),
      lastError: z.string(),
    }),
  }),
  z.object({
    type: z.literal('flag_schedule.failed'),
    data: z.object({ scheduleId: z.string(), flagKey: flagKeySchema, errorMessage: z.string(), failedAt: z.string() }),
  }),
]);
export type AuditEventData = z.infer<typeof auditEventDataSchema>;
export type AuditEventType = AuditEventData['type'];
export const auditEventTypes = auditEventDataSchema.options.map((option) => option.shape.type.value) as [
  AuditEventType,
  ...AuditEventType[],
];
export const auditEventTypeSchema = z.enum(auditEventTypes);

const jsonObject = z.record(z.string(), z.unknown());

/** What every audit event carries besides its `type` and `data`. */
export const auditEventEnvelopeSchema = z
  .object({
    id: z.string().meta({ description: 'Monotonic event id (a bigint, as text).' }),
    occurredAt: timestampSchema,
    actor: actorSchema,
    environment: z.string().nullable(),
    flagKey: z.string().nullable(),
    scheduleId: z.string().nullable(),
    requestId: z.string().nullable(),
    before: jsonObject.nullable(),
    after: jsonObject.nullable(),
    prevHash: z
      .string()
      .nullable()
      .meta({ description: 'The hash at the previous chain position; null at position 1 and while unsealed.' }),
    hash: z
      .string()
      .nullable()
      .meta({ description: 'SHA-256 (hex) of the canonical chain link (docs/audit.md); null until sealed.' }),
    position: z.number().int().positive().nullable().optional().meta({
      description: 'Place in the sealed hash chain (1, 2, 3 … without gaps); null until the sealer reaches it.',
    }),
  })
  .meta({ id: 'AuditEventEnvelope' });

/**
 * An audit event as the API reads it: the envelope, and `type` with the `data` that type records (the same union the
 * server writes through), so a reader narrows `data` by checking `type`.
 */
export const auditEventSchema = z
  .intersection(auditEventEnvelopeSchema, auditEventDataSchema)
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditFilterSchema = z.object({
  type: auditEventTypeSchema.optional(),
  flagKey: flagKeySchema.optional(),
  environment: environmentKeySchema.optional(),
  actorId: z.string().min(1).max(255).optional(),
  scheduleId: z.string().min(1).max(100).optional(),
  from: instantInputSchema.optional().meta({ description: 'Events at or after this instant.' }),
  to: instantInputSchema.optional().meta({ description: 'Events before this instant.' }),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export const listAuditQuerySchema = auditFilterSchema.extend({ limit: queryInt(1, 500, 50), cursor: cursorSchema });
export type ListAuditQuery = z.infer<typeof listAuditQuerySchema>;

export const exportAuditQuerySchema = auditFilterSchema.extend({
  format: z.enum(['ndjson', 'csv']).default('ndjson').meta({ description: 'ndjson: one JSON event per line (SIEM).' }),
});
export type ExportAuditQuery = z.infer<typeof exportAuditQuerySchema>;

export const auditVerificationSchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int().meta({ description: 'Sealed events whose chain link was checked.' }),
    firstBrokenId: z.string().nullable(),
    unsealed: z.number().int().optional().meta({ description: 'Committed events the sealer has not chained yet.' }),
    problem: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'The first problem found, in words; null when the chain is intact.' }),
    checkpoints: z.number().int().optional().meta({ description: 'Signed checkpoints the chain was checked against.' }),
  })
  .meta({ id: 'AuditVerification' });
export type AuditVerification = z.infer<typeof auditVerificationSchema>;

export const auditPageSchema = z
  .object({ items: z.array(auditEventSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.infer<typeof auditPageSchema>;
