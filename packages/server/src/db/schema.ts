import type { Constraint, FlagType, Rule, Serve, Variant } from '@flagline/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const environments = pgTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  // Four-eyes: changes become change requests that another admin approves.
  protected: boolean('protected').notNull().default(false),
  createdAt: createdAt(),
});

export const flags = pgTable('flags', {
  id: uuid('id').primaryKey().defaultRandom(),
  key: text('key').notNull().unique(),
  description: text('description').notNull().default(''),
  // Typed flags (#12): a boolean flag with no variants has the implicit `on`/`off`.
  type: text('type', { enum: ['boolean', 'string', 'number', 'json'] })
    .$type<FlagType>()
    .notNull()
    .default('boolean'),
  variants: jsonb('variants').$type<Variant[]>().notNull().default([]),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const flagStates = pgTable(
  'flag_states',
  {
    flagId: uuid('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environment: text('environment')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    enabled: boolean('enabled').notNull().default(false),
    rolloutPercentage: integer('rollout_percentage').notNull().default(0),
    offVariant: text('off_variant'),
    rules: jsonb('rules').$type<Rule[]>().notNull().default([]),
    fallthrough: jsonb('fallthrough').$type<Serve>(),
    version: integer('version').notNull().default(1),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ columns: [table.flagId, table.environment] }),
    check('flag_states_rollout_range', sql`${table.rolloutPercentage} between 0 and 100`),
  ],
);

export const flagOverrides = pgTable(
  'flag_overrides',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flagId: uuid('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environment: text('environment')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    overrideType: text('override_type', { enum: ['include', 'exclude'] }).notNull(),
    /** An include may pin a variant other than the default `on`. */
    variant: text('variant'),
    reason: text('reason'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('flag_overrides_flag_env_user').on(table.flagId, table.environment, table.userId),
    check('flag_overrides_type', sql`${table.overrideType} in ('include', 'exclude')`),
    check('flag_overrides_user_id_length', sql`char_length(${table.userId}) between 1 and 255`),
  ],
);

/** Reusable constraint lists referenced by rules (by key, from flag_states.rules[].segments). */
export const segments = pgTable('segments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  constraints: jsonb('constraints').$type<Constraint[]>().notNull().default([]),
  version: integer('version').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'viewer', 'client', 'server', 'frontend'] }).notNull(),
    environment: text('environment').references(() => environments.key, { onDelete: 'cascade' }),
    /** Frontend tokens only: the origins browsers may call from. */
    allowedOrigins: jsonb('allowed_origins').$type<string[]>(),
    tokenHash: text('token_hash').notNull().unique(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [
    check('api_tokens_role', sql`${table.role} in ('admin', 'viewer', 'client', 'server', 'frontend')`),
    check(
      'api_tokens_client_environment',
      sql`(${table.role} in ('client', 'server', 'frontend')) = (${table.environment} is not null)`,
    ),
    check('api_tokens_frontend_origins', sql`(${table.role} = 'frontend') = (${table.allowedOrigins} is not null)`),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    type: text('type').notNull(),
    actorType: text('actor_type', { enum: ['user', 'token', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    actorEmail: text('actor_email'),
    environment: text('environment'),
    flagKey: text('flag_key'),
    scheduleId: text('schedule_id'),
    requestId: text('request_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    before: jsonb('before').$type<Record<string, unknown>>(),
    after: jsonb('after').$type<Record<string, unknown>>(),
    /**
     * The id of the transaction that wrote the event (`pg_current_xact_id()`, forced by a trigger): the sealer chains
     * events in (xact_id, id) order, and only below the oldest transaction still running.
     */
    xactId: bigint('xact_id', { mode: 'bigint' }).notNull().default(sql`(pg_current_xact_id()::text::bigint)`),
  },
  (table) => [
    check('audit_events_actor_type', sql`${table.actorType} in ('user', 'token', 'system')`),
    index('audit_events_flag_key_id').on(table.flagKey, table.id),
    index('audit_events_type_id').on(table.type, table.id),
    index('audit_events_occurred_at').on(table.occurredAt),
    index('audit_events_flag_key_occurred_at').on(table.flagKey, table.occurredAt),
    index('audit_events_environment_id').on(table.environment, table.id),
    index('audit_events_actor_id_id').on(table.actorId, table.id),
    index('audit_events_schedule_id_id').on(table.scheduleId, table.id),
    // The sealer's walk: events after the chain head, in the order they are sealed.
    index('audit_events_xact_id_id').on(table.xactId, table.id),
  ],
);

/**
 * The hash chain, append-only like the events it seals: position n (1, 2, 3 … with no gaps) holds the n-th event in
 * sealed order and the hash that binds it to position n - 1 (docs/audit.md gives the exact hash input).
 */
export const auditChain = pgTable('audit_chain', {
  position: bigint('position', { mode: 'bigint' }).primaryKey(),
  eventId: bigint('event_id', { mode: 'bigint' }).notNull().unique(),
  prevHash: text('prev_hash'),
  hash: text('hash').notNull(),
  sealedAt: timestamp('sealed_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row. Every transaction that changes what evaluation sees bumps it, so instances know to refresh. */
export const configState = pgTable('config_state', {
  id: integer('id').primaryKey().default(1),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

/** An ordered set of schedules (its steps) for one flag environment, paused, resumed and cancelled as a unit. */
export const rolloutPlans = pgTable(
  'rollout_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flagId: uuid('flag_id').references(() => flags.id, { onDelete: 'set null' }),
    flagKey: text('flag_key').notNull(),
    environment: text('environment').notNull(),
    name: text('name'),
    status: text('status', { enum: ['active', 'paused', 'completed', 'cancelled'] })
      .notNull()
      .default('active'),
    createdBy: text('created_by'),
    createdByEmail: text('created_by_email'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    check('rollout_plans_status', sql`${table.status} in ('active', 'paused', 'completed', 'cancelled')`),
    index('rollout_plans_flag').on(table.flagKey, table.environment, table.createdAt),
  ],
);

export const flagSchedules = pgTable(
  'flag_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Kept (set null) when the flag is deleted: the schedule's history outlives the flag; flag_key says which it was.
    flagId: uuid('flag_id').references(() => flags.id, { onDelete: 'set null' }),
    flagKey: text('flag_key').notNull(),
    environment: text('environment').notNull(),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    status: text('status', {
      enum: ['pending', 'applied', 'failed', 'cancelled', 'completed', 'paused', 'skipped'],
    })
      .notNull()
      .default('pending'),
    updates: jsonb('updates').$type<Record<string, unknown>>().notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
    errorMessage: text('error_message'),
    retryCount: integer('retry_count').notNull().default(0),
    maxRetries: integer('max_retries').notNull().default(3),
    nextRetryAt: timestamp('next_retry_at', { withTimezone: true }),
    lastError: text('last_error'),
    createdBy: text('created_by'),
    createdByEmail: text('created_by_email'),
    cancelledBy: text('cancelled_by'),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // A recurring schedule (null for a one-off): one row whose scheduled_at is its next occurrence, advanced in the
    // transaction that applies an occurrence, so the one-off's exactly-once claim covers each occurrence.
    recurrence: jsonb('recurrence').$type<Record<string, unknown>>(),
    occurrenceCount: integer('occurrence_count').notNull().default(0),
    lastOccurrenceAt: timestamp('last_occurrence_at', { withTimezone: true }),
    // A step of a rollout plan (null otherwise): paused with its plan (status 'paused', off the due index).
    planId: uuid('plan_id').references(() => rolloutPlans.id, { onDelete: 'cascade' }),
    planStep: integer('plan_step'),
  },
  (table) => [
    check(
      'flag_schedules_status',
      sql`${table.status} in ('pending', 'applied', 'failed', 'cancelled', 'completed', 'paused', 'skipped')`,
    ),
    uniqueIndex('flag_schedules_plan_step').on(table.planId, table.planStep),
    check('flag_schedules_max_retries', sql`${table.maxRetries} between 0 and 10`),
    // Serves the due-query: pending rows in due order, then creation order.
    index('flag_schedules_due')
      .on(sql`coalesce(${table.nextRetryAt}, ${table.scheduledAt})`, table.createdAt)
      .where(sql`${table.status} = 'pending'`),
    index('flag_schedules_flag').on(table.flagId, table.environment, table.scheduledAt),
    index('flag_schedules_scheduled_at').on(table.scheduledAt, table.id),
  ],
);

export const changeRequests = pgTable(
  'change_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environment: text('environment')
      .notNull()
      .references(() => environments.key),
    // Text, not a reference: the request's history outlives the flag.
    flagKey: text('flag_key'),
    kind: text('kind').notNull(),
    change: jsonb('change').$type<Record<string, unknown>>().notNull(),
    preview: jsonb('preview').$type<Record<string, unknown>[]>().notNull(),
    status: text('status', { enum: ['pending', 'applied', 'rejected', 'failed', 'expired'] })
      .notNull()
      .default('pending'),
    requestedBy: jsonb('requested_by').$type<Record<string, unknown>>().notNull(),
    comment: text('comment'),
    decidedBy: jsonb('decided_by').$type<Record<string, unknown>>(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionComment: text('decision_comment'),
    error: text('error'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    check('change_requests_status', sql`${table.status} in ('pending', 'applied', 'rejected', 'failed', 'expired')`),
    // The inbox: pending requests, oldest first; and the expiry sweep over pending schedules.
    index('change_requests_pending').on(table.createdAt, table.id).where(sql`${table.status} = 'pending'`),
    index('change_requests_listing').on(table.createdAt, table.id),
  ],
);

export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** Event types to deliver; null delivers every type. */
  eventTypes: text('event_types').array(),
  secret: text('secret').notNull(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
});

/** The outbox: one row per (webhook, event), written in the event's own transaction and sent after it commits. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: bigint('event_id', { mode: 'bigint' }).notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    lastStatusCode: integer('last_status_code'),
    /** Set when a dispatcher claims the delivery; only the holder of this token may record the result. */
    leaseToken: uuid('lease_token'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    check('webhook_deliveries_status', sql`${table.status} in ('pending', 'delivered', 'failed')`),
    index('webhook_deliveries_due').on(table.nextAttemptAt, table.id).where(sql`${table.status} = 'pending'`),
    index('webhook_deliveries_webhook').on(table.webhookId, table.id),
    // Serves the claim: each endpoint's oldest pending deliveries, so a backlog behind one endpoint is never scanned
    // to reach another's.
    index('webhook_deliveries_endpoint_due')
      .on(table.webhookId, table.nextAttemptAt, table.id)
      .where(sql`${table.status} = 'pending'`),
  ],
);
