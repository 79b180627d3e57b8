import { createHash } from 'node:crypto';
import {
  type EvaluableFlag,
  type EvaluationReason,
  evaluate,
  type OverrideType,
  type RulesetFlag,
  toRulesetFlag,
} from '@flagline/core';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Db, Unlisten } from '../db/client';
import { configState, environments, flagOverrides, flagStates, flags } from '../db/schema';
import { CHANGES_CHANNEL, type ChangeNotice, parseChangeNotice } from '../db/unit-of-work';

export interface SnapshotFlag extends EvaluableFlag {
  readonly description: string;
}

/** Our reasons are OpenFeature's, except that a missing flag is an error code there, not a reason. */
export const ofrepReason = (reason: EvaluationReason): string => (reason === 'FLAG_NOT_FOUND' ? 'ERROR' : reason);

export class EnvironmentSnapshot {
  private readonly list: SnapshotFlag[];
  /** `"flagKey":` for each flag, encoded once per snapshot rather than once per request. */
  private readonly jsonKeys: string[];

  private rulesetFlags: Map<string, { flag: RulesetFlag; json: string }> | undefined;
  private ruleset: { json: string; etag: string } | undefined;
  /** What surrounds each flag's result in the OFREP bulk body: `{"key":…,"value":` and `,"metadata":{…}}`. */
  private ofrepFragments: { prefixes: string[]; suffixes: string[] } | undefined;
  private ofrepEtagPrefix: string | undefined;

  constructor(
    readonly key: string,
    readonly flags: ReadonlyMap<string, SnapshotFlag>,
    readonly version: number,
  ) {
    this.list = [...flags.values()];
    this.jsonKeys = this.list.map((flag) => `${JSON.stringify(flag.key)}:`);
  }

  /** Each flag as SDKs receive it, with its JSON (compared to find what changed between snapshots). */
  rulesetFlagMap(): ReadonlyMap<string, { flag: RulesetFlag; json: string }> {
    if (!this.rulesetFlags) {
      this.rulesetFlags = new Map(
        this.list.map((flag) => {
          const rulesetFlag = toRulesetFlag(flag);
          return [flag.key, { flag: rulesetFlag, json: JSON.stringify(rulesetFlag) }];
        }),
      );
    }
    return this.rulesetFlags;
  }

  /** The body of GET /api/client/flags and its entity tag, serialised once per snapshot, on first use. */
  rulesetBody(): { json: string; etag: string } {
    if (!this.ruleset) {
      const flagsJson = [...this.rulesetFlagMap().values()].map((entry) => entry.json).join(',');
      const json = `{"environment":${JSON.stringify(this.key)},"version":${this.version},"flags":[${flagsJson}]}`;
      this.ruleset = { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"` };
    }
    return this.ruleset;
  }

  /**
   * The body of OFREP bulk evaluation for one context: the bytes JSON.stringify gives for
   * `{ flags: [{ key, value, reason, variant, metadata: { rolloutPercentage } }] }`, built without those objects.
   */
  ofrepBulkJson(targetingKey: string | undefined): string {
    this.ofrepFragments ??= {
      prefixes: this.list.map((flag) => `{"key":${JSON.stringify(flag.key)},"value":`),
      suffixes: this.list.map(
        (flag) => `,"metadata":${JSON.stringify({ rolloutPercentage: flag.rolloutPercentage })}}`,
      ),
    };
    const { prefixes, suffixes } = this.ofrepFragments;
    let json = '{"flags":[';
    for (let i = 0; i < this.list.length; i++) {
      const { value, reason } = evaluate(this.list[i], targetingKey);
      // Reasons are upper-case identifiers: nothing in them needs escaping.
      json += `${i === 0 ? '' : ','}${prefixes[i]}${value},"reason":"${ofrepReason(reason)}","variant":"${value ? 'on' : 'off'}"${suffixes[i]}`;
    }
    return `${json}]}`;
  }

  /** The OFREP bulk entity tag: the result depends on the ruleset and on the context, so the tag covers both. */
  ofrepEtag(targetingKey: string | undefined): string {
    this.ofrepEtagPrefix ??= `${this.rulesetBody().etag.slice(0, -1)}-`;
    return `${this.ofrepEtagPrefix}${Buffer.from(targetingKey ?? '').toString('base64url')}"`;
  }

  /** `{ flagKey: boolean }` for one user. */
  evaluateAll(userId: string | undefined): Record<string, boolean> {
    const result: Record<string, boolean> = {};
    for (const flag of this.list) result[flag.key] = evaluate(flag, userId).value;
    return result;
  }

  /** The same as evaluateAll, already serialised: the body of GET /api/config/flags, the hottest path. */
  evaluateAllJson(userId: string | undefined): string {
    let json = '{';
    for (let i = 0; i < this.list.length; i++) {
      json += `${i === 0 ? '' : ','}${this.jsonKeys[i]}${evaluate(this.list[i], userId).value}`;
    }
    return `${json}}`;
  }
}

export interface ConfigSnapshot {
  readonly version: number;
  readonly loadedAt: Date;
  readonly environments: ReadonlyMap<string, EnvironmentSnapshot>;
}

/** Reads everything evaluation needs at one consistent point in time. */
export async function loadSnapshot(db: Db): Promise<ConfigSnapshot> {
  return db.transaction(
    async (tx) => {
      const [state] = await tx.select({ version: configState.version }).from(configState).where(eq(configState.id, 1));
      const environmentRows = await tx.select({ key: environments.key }).from(environments);
      const stateRows = await tx
        .select({
          key: flags.key,
          description: flags.description,
          environment: flagStates.environment,
          enabled: flagStates.enabled,
          rolloutPercentage: flagStates.rolloutPercentage,
        })
        .from(flagStates)
        .innerJoin(flags, eq(flags.id, flagStates.flagId))
        .orderBy(flags.key);
      const overrideRows = await tx
        .select({
          key: flags.key,
          environment: flagOverrides.environment,
          userId: flagOverrides.userId,
          overrideType: flagOverrides.overrideType,
        })
        .from(flagOverrides)
        .innerJoin(flags, eq(flags.id, flagOverrides.flagId));

      const overrides = new Map<string, Map<string, OverrideType>>();
      for (const row of overrideRows) {
        const id = `${row.environment}\u0000${row.key}`;
        const users = overrides.get(id) ?? new Map<string, OverrideType>();
        overrides.set(id, users);
        users.set(row.userId, row.overrideType);
      }
      const byEnvironment = new Map<string, Map<string, SnapshotFlag>>(
        environmentRows.map((row) => [row.key, new Map()]),
      );
      for (const row of stateRows) {
        byEnvironment.get(row.environment)?.set(row.key, {
          key: row.key,
          description: row.description,
          enabled: row.enabled,
          rolloutPercentage: row.rolloutPercentage,
          overrides: overrides.get(`${row.environment}\u0000${row.key}`) ?? new Map(),
        });
      }
      return {
        version: state?.version ?? 0,
        loadedAt: new Date(),
        environments: new Map(
          [...byEnvironment].map(([key, map]) => [key, new EnvironmentSnapshot(key, map, state?.version ?? 0)]),
        ),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

export type SnapshotListener = (snapshot: ConfigSnapshot, previous: ConfigSnapshot) => void;

/**
 * Each instance evaluates from an in-memory snapshot. It reloads when a change evaluation sees is announced (NOTIFY),
 * once per change even for this instance's own (see receive), and, as a safety net for a lost connection or
 * notification, polls the config version every `pollMs`. It is also how the instance hears that API tokens changed
 * (onTokensChange), which evaluation never reads: the same notification and the same poll carry it.
 */
export class SnapshotStore {
  private snapshot: ConfigSnapshot | undefined;
  /** When this instance last confirmed its snapshot is current (a refresh, or a version poll that found no change). */
  checkedAt = new Date(0);
  private loading: Promise<void> | undefined;
  private dirty = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private unlisten: Unlisten | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly tokenListeners = new Set<() => void>();
  /** The token counts the last poll saw: when they move, a token notification may have been lost. */
  private tokenMark: string | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  get current(): ConfigSnapshot {
    if (!this.snapshot) throw new Error('snapshot not loaded yet: call start() first');
    return this.snapshot;
  }

  get ready(): boolean {
    return this.snapshot !== undefined;
  }

  async start(): Promise<void> {
    await this.refresh();
    await this.pollVersion();
    this.unlisten = await this.database.listen(CHANGES_CHANNEL, (payload) => {
      this.receive(parseChangeNotice(payload)).catch((error: unknown) =>
        this.logger.error({ err: error }, 'snapshot refresh failed'),
      );
    });
    this.pollTimer = setInterval(() => {
      this.pollVersion().catch((error: unknown) => this.logger.warn({ err: error }, 'snapshot version poll failed'));
    }, this.pollMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.loading?.catch(() => {});
  }

  onChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when API tokens were created or revoked, on any instance. */
  onTokensChange(listener: () => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  /**
   * A committed change: announced by NOTIFY, or this instance's own, just committed (read-your-writes). Reloads only
   * when evaluation sees the change and the snapshot does not have it yet, so an instance's own change and its
   * notification cost one reload between them; tells the token listeners when tokens changed. An unreadable notice
   * (undefined) may mean anything: reload and tell them.
   */
  async receive(notice: ChangeNotice | undefined): Promise<void> {
    if (notice === undefined || notice.tokens) for (const listener of this.tokenListeners) listener();
    if (notice === undefined) await this.refresh();
    else if (notice.configVersion !== null) await this.ensureAtLeast(notice.configVersion);
  }

  /** Reloads; concurrent calls coalesce into at most one more load after the one in flight. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.dirty = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.dirty = false;
          const next = await loadSnapshot(this.database.db);
          const previous = this.snapshot;
          if (!previous || next.version >= previous.version) {
            this.snapshot = next;
            this.checkedAt = next.loadedAt;
            if (previous) for (const listener of this.listeners) listener(next, previous);
          }
        } while (this.dirty);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /**
   * Reloads if the snapshot is behind `version`. A load under way is awaited first rather than followed by another:
   * it may already include the version (one started after the change committed does), and only if not is there one
   * more load.
   */
  async ensureAtLeast(version: number): Promise<void> {
    for (let attempt = 0; attempt < 3 && (this.snapshot?.version ?? -1) < version; attempt++) {
      await (this.loading ?? this.refresh());
    }
  }

  private async pollVersion(): Promise<void> {
    if (this.loading) return;
    // Tokens are never deleted, only created and revoked, so these two counts move with every token change.
    const [row] = await this.database.db
      .select({
        version: configState.version,
        tokens: sql<string>`(select count(*) || ':' || count(revoked_at) from api_tokens)`,
      })
      .from(configState)
      .where(eq(configState.id, 1));
    if (!row) return;
    if (this.tokenMark !== undefined && row.tokens !== this.tokenMark) {
      for (const listener of this.tokenListeners) listener();
    }
    this.tokenMark = row.tokens;
    // Through ensureAtLeast, not refresh: a load already under way (this instance's own change, or a notice) may bring
    // this version, and refresh would queue one more load after it.
    if (!this.snapshot || row.version !== this.snapshot.version) await this.ensureAtLeast(row.version);
    else this.checkedAt = new Date();
  }
}
