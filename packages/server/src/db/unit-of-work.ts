import type { Actor, AuditEvent, AuditEventType } from '@flagline/core';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { AuditRecorder } from '../audit/recorder';
import type { Db, Tx } from './client';
import { configState } from './schema';

/**
 * The channel every committed change is announced on, with a ChangeNotice as payload: instances reload their
 * snapshot only for what evaluation sees, drop cached token look-ups when tokens changed, and the webhook dispatcher
 * wakes for the deliveries every change may have queued.
 */
export const CHANGES_CHANNEL = 'flagline_changes';

/** What a committed change means for the other parts of every instance. */
export interface ChangeNotice {
  /** The config version the change committed as when evaluation sees it (config_state was bumped), else null. */
  configVersion: number | null;
  /** API tokens were created or revoked: every instance must look cached tokens up again. */
  tokens: boolean;
  /**
   * The flags (by key) the change touched, in any environment, when that is all evaluation sees of it: an instance
   * whose snapshot is one version behind re-reads only these. Absent when the change may reach further (a segment, an
   * environment, an import, a new flag, many flags at once): then every instance reloads everything.
   */
  flagKeys?: string[];
}

/**
 * The evaluation changes that touch one existing flag (the event's flagKey) and nothing else. A new flag is not among
 * them: its place in every environment's order is the database's to say, so it takes a full reload.
 */
const FLAG_SCOPED = new Set<AuditEventType>([
  'flag.updated',
  'flag.deleted',
  'flag_override.set',
  'flag_override.removed',
  'flag_schedule.applied',
  'flag.targeting_updated',
  'flag.variants_updated',
]);

/** Keys are at most 100 ASCII characters: 32 of them keep the notice far below NOTIFY's 8,000-byte payload limit. */
const MAX_NOTICE_FLAG_KEYS = 32;

/** The flags `events` touched when only flags were touched (see ChangeNotice.flagKeys), else undefined. */
function touchedFlagKeys(events: readonly AuditEvent[]): string[] | undefined {
  const keys = new Set<string>();
  for (const event of events) {
    if (EFFECT_OF[event.type] !== 'evaluation') continue;
    if (!FLAG_SCOPED.has(event.type) || !event.flagKey) return undefined;
    keys.add(event.flagKey);
  }
  return keys.size <= MAX_NOTICE_FLAG_KEYS ? [...keys] : undefined;
}

/**
 * What each kind of change affects besides the audit trail. `evaluation`: what the snapshot holds (flags, their
 * states and descriptions, overrides, environments), so config_state is bumped and every instance reloads.
 * `tokens`: credentials, which evaluation never reads. `none`: webhooks and schedules until one is applied (the
 * scheduler has its own channel). A new event type must be placed here before it compiles.
 */
const EFFECT_OF: Record<AuditEventType, 'evaluation' | 'tokens' | 'none'> = {
  'flag.created': 'evaluation',
  'flag.updated': 'evaluation',
  'flag.deleted': 'evaluation',
  'flag_override.set': 'evaluation',
  'flag_override.removed': 'evaluation',
  'environment.created': 'evaluation',
  'config.imported': 'evaluation',
  'flag_schedule.applied': 'evaluation',
  'flag.targeting_updated': 'evaluation',
  'flag.variants_updated': 'evaluation',
  'segment.created': 'evaluation',
  'segment.updated': 'evaluation',
  'segment.deleted': 'evaluation',
  'token.created': 'tokens',
  'token.revoked': 'tokens',
  'webhook.created': 'none',
  'webhook.deleted': 'none',
  'flag_schedule.created': 'none',
  'flag_schedule.cancelled': 'none',
  'flag_schedule.retrying': 'none',
  'flag_schedule.failed': 'none',
  'audit.checkpoint': 'none',
  'environment.updated': 'none',
  'change_request.requested': 'none',
  'change_request.approved': 'none',
  'change_request.rejected': 'none',
  'change_request.applied': 'none',
  'change_request.failed': 'none',
  'change_request.expired': 'none',
  'plan.created': 'none',
  'plan.paused': 'none',
  'plan.resumed': 'none',
  'plan.cancelled': 'none',
  'plan.completed': 'none',
};

/** Reads a CHANGES_CHANNEL payload; undefined when it is not one (then assume anything may have changed). */
export function parseChangeNotice(payload: string): ChangeNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { configVersion, tokens, flagKeys } = value as Record<string, unknown>;
  if (typeof tokens !== 'boolean' || !(configVersion === null || Number.isSafeInteger(configVersion))) {
    return undefined;
  }
  const notice: ChangeNotice = { configVersion: configVersion as number | null, tokens };
  // A list that is not one (an older or newer instance's notice) only costs the scope: the change still counts.
  if (Array.isArray(flagKeys) && flagKeys.every((key) => typeof key === 'string')) notice.flagKeys = flagKeys;
  return notice;
}

/** Who makes a change, and in answer to which request (null for the scheduler and the CLI). */
export interface ChangeContext {
  actor: Actor;
  requestId: string | null;
}

/**
 * Everything a use case changes through: the transaction, the audit recorder on it, and who is acting. Passed whole
 * to anything that takes part in the change (cancelPendingSchedules, the scheduler's apply), never as loose pieces.
 */
export interface ChangeScope extends ChangeContext {
  tx: Tx;
  audit: AuditRecorder;
}

export interface UnitOfWorkDeps {
  db: Db;
  logger: Logger;
  /**
   * Runs after a change commits, with the notice every instance also receives (this instance catches up on its own
   * change before answering: read-your-writes).
   */
  afterCommit?: (notice: ChangeNotice) => Promise<void>;
}

export type ChangeWork<T> = (scope: ChangeScope) => Promise<T>;

/**
 * Bumps the config version and announces the change, in one statement: the notice carries the new version, and a
 * round trip less inside every change's transaction is that much less between a change and every SDK hearing of it.
 */
async function bumpAndAnnounce(tx: Tx, tokens: boolean, flagKeys: string[] | undefined): Promise<ChangeNotice> {
  const result: unknown = await tx.execute(sql`
    with bumped as (update ${configState} set version = version + 1 returning version)
    select version, pg_notify(${CHANGES_CHANNEL}, json_build_object(
      'configVersion', version, 'tokens', ${tokens}::boolean, 'flagKeys', ${flagKeys ? JSON.stringify(flagKeys) : null}::json
    )::text) from bumped`);
  const [row] = (result as { rows: { version: number | string }[] }).rows;
  if (!row) throw new Error('config_state has no row');
  const notice: ChangeNotice = { configVersion: Number(row.version), tokens };
  if (flagKeys) notice.flagKeys = flagKeys;
  return notice;
}

/**
 * The use-case boundary: one transaction for the change, its audit events, the config version bump when evaluation
 * sees the change, and the change notification (Postgres delivers NOTIFY on commit, so nobody hears of a change that
 * rolled back). A unit of work that records no event changed nothing, bumps nothing and announces nothing.
 */
export async function runChange<T>(deps: UnitOfWorkDeps, context: ChangeContext, work: ChangeWork<T>): Promise<T> {
  let events: AuditEvent[] = [];
  let notice: ChangeNotice | undefined;
  const result = await deps.db.transaction(async (tx) => {
    const audit = new AuditRecorder(tx, context.actor, context.requestId);
    const value = await work({ tx, audit, actor: context.actor, requestId: context.requestId });
    events = audit.recorded;
    if (events.length > 0) {
      const effects = new Set(events.map((event) => EFFECT_OF[event.type]));
      notice = effects.has('evaluation')
        ? await bumpAndAnnounce(tx, effects.has('tokens'), touchedFlagKeys(events))
        : { configVersion: null, tokens: effects.has('tokens') };
      if (notice.configVersion === null) {
        await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(notice)})`);
      }
    }
    return value;
  });
  for (const event of events) logAuditEvent(deps.logger, event);
  if (notice && deps.afterCommit) await deps.afterCommit(notice);
  return result;
}

/**
 * After commit, each event is also one structured log line, as the origin's log-only audit did, but with only what
 * identifies the change: logs travel further than the database and are kept by other rules, so the actor's id and
 * email, before/after and `data` (which holds user ids and admin emails) stay in the audit trail, behind its access
 * control. A failed schedule's error message is kept: it is the system's own, and what an operator acts on.
 */
export function logAuditEvent(logger: Logger, event: AuditEvent): void {
  const line = {
    audit: {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      actorType: event.actor.type,
      environment: event.environment,
      flagKey: event.flagKey,
      scheduleId: event.scheduleId,
      requestId: event.requestId,
    },
  };
  if (event.type === 'flag_schedule.failed') {
    const errorMessage = 'errorMessage' in event.data ? event.data.errorMessage : undefined;
    logger.error({ ...line, errorMessage }, `audit ${event.type}`);
  } else {
    logger.info(line, `audit ${event.type}`);
  }
}
