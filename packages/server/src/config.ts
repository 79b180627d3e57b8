import { isIP } from 'node:net';
import { environmentKeySchema } from '@flagline/core';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { adminTokenWeakness } from './auth/admin-token-strength';

const integer = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const commaSeparated = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const list = commaSeparated.pipe(z.array(z.string()).min(1, 'must name at least one group'));

/** A DNS name as it appears in a URL's host (no port, no scheme); letters, digits, hyphens, dots, an optional `_`. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** One WEBHOOK_ALLOWED_TARGETS entry: an IP address, a CIDR range, or a host name, checked so a typo fails at start. */
const allowedTarget = z
  .string()
  .transform((entry) => entry.replace(/^\[(.*)\]$/, '$1').toLowerCase())
  .refine(
    (entry) => isIP(entry) !== 0 || ipaddr.isValidCIDR(entry) || (HOSTNAME.test(entry) && !/^[\d.]+$/.test(entry)),
    { error: (issue) => `"${String(issue.input)}" is neither an IP address, a CIDR range nor a host name` },
  );

const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

const adminToken = z.string().superRefine((token, context) => {
  const weakness = adminTokenWeakness(token);
  if (weakness) context.addIssue({ code: 'custom', message: weakness });
});

const envSchema = z.object({
  PORT: integer(0, 65535).default(4747),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  MIGRATION_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  FLAGLINE_DATA_DIR: z.string().min(1).default('./.flagline'),
  DATABASE_CONNECT_TIMEOUT_MS: integer(0, 3_600_000).default(5_000),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FLAGLINE_DEFAULT_ENVIRONMENT: z
    .union([z.literal('none'), environmentKeySchema], { error: 'must be an environment key or none' })
    .default('production'),
  FLAGLINE_ADMIN_TOKEN: adminToken.optional(),
  AUTH_FAILURES_PER_MINUTE: integer(0, 1_000_000).default(30),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_ALLOW_ANY_ISSUER: booleanFlag.default(false),
  AUTH_ALLOW_ANY_AUDIENCE: booleanFlag.default(false),
  AUTH_GROUPS_CLAIM: z.string().min(1).default('cognito:groups'),
  AUTH_ADMIN_GROUPS: list.default(['admin', 'admins']),
  AUTH_VIEWER_GROUPS: list.default(['viewer', 'viewers']),
  AUTH_APPROVER_GROUPS: commaSeparated.pipe(z.array(z.string())).default([]),
  OVERRIDE_RATE_LIMIT_PER_HOUR: integer(0, 1_000_000).default(100),
  SNAPSHOT_POLL_MS: integer(50, 3_600_000).default(1000),
  SSE_HEARTBEAT_MS: integer(100, 300_000).default(15_000),
  SSE_MAX_LIFETIME_MS: integer(1000, 86_400_000).default(3_600_000),
  SSE_MAX_STREAMS_PER_TOKEN: integer(1, 100_000).default(100),
  SSE_MAX_QUEUED_EVENTS: integer(1, 100_000).default(1000),
  SCHEDULER_ENABLED: booleanFlag.default(true),
  SCHEDULER_POLL_MS: integer(10, 3_600_000).default(5000),
  SCHEDULER_BATCH_SIZE: integer(1, 1000).default(100),
  SCHEDULE_RETRY_BASE_MS: integer(0, 86_400_000).default(120_000),
  SCHEDULE_RETRY_JITTER_MS: integer(0, 3_600_000).default(30_000),
  SCHEDULE_MAX_HORIZON_DAYS: integer(1, 3650).default(365),
  SCHEDULE_CONFLICT_WINDOW_MINUTES: integer(0, 525_600).default(60),
  SCHEDULE_RETENTION_APPLIED_DAYS: integer(1, 36_500).default(90),
  SCHEDULE_RETENTION_CANCELLED_DAYS: integer(1, 36_500).default(30),
  FLAGLINE_AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  FLAGLINE_AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
  FLAGLINE_AUDIT_CHECKPOINT_INTERVAL_MS: integer(1_000, 86_400_000).default(60_000),
  WEBHOOK_RETRY_BASE_MS: integer(10, 3_600_000).default(1000),
  WEBHOOK_MAX_BACKOFF_MS: integer(10, 86_400_000).default(300_000),
  WEBHOOK_MAX_ATTEMPTS: integer(1, 100).default(20),
  WEBHOOK_TIMEOUT_MS: integer(100, 120_000).default(10_000),
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: integer(1, 100).default(4),
  WEBHOOK_ALLOWED_TARGETS: commaSeparated.pipe(z.array(allowedTarget)).default([]),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/**
 * A key set alone proves only that someone the identity provider serves signed the token: without an issuer and an
 * audience, tokens minted for any other application of the same provider (or any user pool sharing keys) get in.
 */
function requireTokenBinding(value: z.infer<typeof envSchema>, context: z.RefinementCtx): void {
  if (!value.AUTH_JWKS_URL) return;
  if (!value.AUTH_ISSUER && !value.AUTH_ALLOW_ANY_ISSUER) {
    context.addIssue({
      code: 'custom',
      path: ['AUTH_ISSUER'],
      message:
        'is required when AUTH_JWKS_URL is set (the iss of your access tokens, e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>); AUTH_ALLOW_ANY_ISSUER=true accepts any issuer instead',
    });
  }
  if (!value.AUTH_AUDIENCE && !value.AUTH_ALLOW_ANY_AUDIENCE) {
    context.addIssue({
      code: 'custom',
      path: ['AUTH_AUDIENCE'],
      message:
        'is required when AUTH_JWKS_URL is set (the aud, or for Cognito access tokens the client_id, tokens must carry); AUTH_ALLOW_ANY_AUDIENCE=true accepts any audience instead',
    });
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Start-up failed for a reason the operator can fix: it names the variable to look at and says why, in one line
 * (`VARIABLE: cause`); the underlying error is kept as `cause` for debug logging.
 */
export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    readonly variable: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${reason}`, options);
  }
}

/**
 * The environment, validated, as the settings Flagline runs with: the one place a variable's name meets the setting it
 * feeds, so `Config` is this schema's output rather than a second description of it.
 */
const configSchema = envSchema.superRefine(requireTokenBinding).transform((value) => ({
  port: value.PORT,
  host: value.HOST,
  /** PostgreSQL when set; otherwise the embedded database in `dataDir`. */
  databaseUrl: value.DATABASE_URL,
  /**
   * The owner's URL: migrations run with it, which then grants DATABASE_URL's role what the application needs and no
   * more (docs/audit.md). Unset: DATABASE_URL migrates too.
   */
  migrationDatabaseUrl: value.MIGRATION_DATABASE_URL,
  /** Embedded database directory, or `memory:` for a throwaway in-memory database. */
  dataDir: value.FLAGLINE_DATA_DIR,
  /** How long start-up keeps retrying a PostgreSQL that cannot be reached (refused, timed out, starting up). */
  databaseConnectTimeoutMs: value.DATABASE_CONNECT_TIMEOUT_MS,
  /** On SIGTERM/SIGINT, how long requests already running may take to finish before connections are closed. */
  shutdownGraceMs: value.SHUTDOWN_GRACE_MS,
  logLevel: value.LOG_LEVEL,
  /** Where admin writes without `?environment=` go; null (`none`) makes such a write a 400. */
  defaultEnvironment: value.FLAGLINE_DEFAULT_ENVIRONMENT === 'none' ? null : value.FLAGLINE_DEFAULT_ENVIRONMENT,
  adminToken: value.FLAGLINE_ADMIN_TOKEN,
  auth: {
    /** Failed authentications an address may make per minute before it is refused (429); 0 turns the limit off. */
    failuresPerMinute: value.AUTH_FAILURES_PER_MINUTE,
    jwksUrl: value.AUTH_JWKS_URL,
    /** Required with jwksUrl unless allowAnyIssuer / allowAnyAudience is set (each logs a warning at start). */
    issuer: value.AUTH_ISSUER,
    audience: value.AUTH_AUDIENCE,
    allowAnyIssuer: value.AUTH_ALLOW_ANY_ISSUER,
    allowAnyAudience: value.AUTH_ALLOW_ANY_AUDIENCE,
    groupsClaim: value.AUTH_GROUPS_CLAIM,
    adminGroups: value.AUTH_ADMIN_GROUPS,
    viewerGroups: value.AUTH_VIEWER_GROUPS,
    /** Members may approve or reject change requests, even if they are otherwise only viewers (admins always may). */
    approverGroups: value.AUTH_APPROVER_GROUPS,
  },
  overrideRateLimitPerHour: value.OVERRIDE_RATE_LIMIT_PER_HOUR,
  snapshotPollMs: value.SNAPSHOT_POLL_MS,
  /** How often an idle SSE stream sends a heartbeat comment (keeps proxies from closing it). */
  sseHeartbeatMs: value.SSE_HEARTBEAT_MS,
  streams: {
    /** A stream ends after this long (the client reconnects, presenting its credential again). */
    maxLifetimeMs: value.SSE_MAX_LIFETIME_MS,
    /** Streams one credential may hold open on one instance; beyond it, 429. */
    maxPerToken: value.SSE_MAX_STREAMS_PER_TOKEN,
    /** Events waiting for a slow reader; past this the stream is dropped rather than buffered without end. */
    maxQueuedEvents: value.SSE_MAX_QUEUED_EVENTS,
  },
  scheduler: {
    /** Run the scheduler inside `serve` (a separate `flagline worker` runs it regardless). */
    enabled: value.SCHEDULER_ENABLED,
    /** The longest the worker sleeps without checking for due schedules (a safety net for missed notifications). */
    pollMs: value.SCHEDULER_POLL_MS,
    batchSize: value.SCHEDULER_BATCH_SIZE,
    /** Retry n waits retryBaseMs · 2^(n-1) plus up to retryJitterMs: by default 2, 4, 8 … minutes + 0–30 s. */
    retryBaseMs: value.SCHEDULE_RETRY_BASE_MS,
    retryJitterMs: value.SCHEDULE_RETRY_JITTER_MS,
    maxHorizonDays: value.SCHEDULE_MAX_HORIZON_DAYS,
    /** Two schedules of one flag environment touching a field this close together are listed as conflicts. */
    conflictWindowMinutes: value.SCHEDULE_CONFLICT_WINDOW_MINUTES,
    /** Applied schedules are deleted after this many days, cancelled ones after cancelledRetentionDays; failed ones are kept. */
    appliedRetentionDays: value.SCHEDULE_RETENTION_APPLIED_DAYS,
    cancelledRetentionDays: value.SCHEDULE_RETENTION_CANCELLED_DAYS,
  },
  webhooks: {
    /** Delivery attempt n waits retryBaseMs · 2^(n-1) (at most maxBackoffMs) plus jitter; after maxAttempts it is failed. */
    retryBaseMs: value.WEBHOOK_RETRY_BASE_MS,
    maxBackoffMs: value.WEBHOOK_MAX_BACKOFF_MS,
    maxAttempts: value.WEBHOOK_MAX_ATTEMPTS,
    /** The longest one delivery may take, connecting included; a receiver that hangs is cut off then. */
    timeoutMs: value.WEBHOOK_TIMEOUT_MS,
    /** Sends to one endpoint at once (per process): a slow endpoint fills its own slots, never another's. */
    maxInFlightPerEndpoint: value.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
    /**
     * Targets delivered to although they are loopback, private, link-local or otherwise not public: IP addresses and
     * CIDR ranges (matched against the address actually connected to) and host names (trusted whatever they resolve to).
     */
    allowedTargets: value.WEBHOOK_ALLOWED_TARGETS,
  },
  /** When set, GET /metrics answers only requests that send it as a bearer token. */
  metricsToken: value.METRICS_TOKEN,
  audit: {
    /** An Ed25519 private key (PKCS#8 PEM) signing checkpoints of the chain head; never stored in the database. */
    signingKeyFile: value.FLAGLINE_AUDIT_SIGNING_KEY_FILE,
    /** Where checkpoints are written (a witness outside the database); they also go to the log and to webhooks. */
    checkpointDir: value.FLAGLINE_AUDIT_CHECKPOINT_DIR,
    /** How often a checkpoint is published while the chain grows. */
    checkpointIntervalMs: value.FLAGLINE_AUDIT_CHECKPOINT_INTERVAL_MS,
  },
}));

export type Config = z.output<typeof configSchema>;

/** Reads and validates the environment once; nothing else in Flagline reads process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
