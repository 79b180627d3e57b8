import { createHash } from 'node:crypto';
import {
  type CompiledFlag,
  compileFlag,
  type EvaluableFlag,
  type EvaluationContext,
  type EvaluationReason,
  evaluateFlag,
  type FlagType,
  type OverrideType,
  type ResolutionReason,
  type Rule,
  type RulesetFlag,
  type Segment,
  type Serve,
  type Variant,
} from '@flagline/core';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Db, Unlisten } from '../db/client';
import { configState, environments, flagOverrides, flagStates, flags, segments } from '../db/schema';
import { CHANGES_CHANNEL, type ChangeNotice, parseChangeNotice } from '../db/unit-of-work';

export interface SnapshotFlag extends EvaluableFlag {
  readonly description: string;
  readonly type: FlagType;
  /** The flag as SDKs receive it: the origin's fields, plus the typed ones unless it is a plain boolean flag. */
  readonly ruleset: RulesetFlag;
  /** Compiled once per snapshot: what every evaluation runs. */
  readonly compiled: CompiledFlag;
  /** A boolean flag without variants, rules, fallthrough or pins: the origin's model, served on the fast paths. */
  readonly plain: boolean;
  /** Keys of the segments its rules reference. */
  readonly segmentKeys: readonly string[];
}

/** Our reasons are OpenFeature's, except that a missing flag is an error code there, not a reason. */
export const ofrepReason = (reason: EvaluationReason | ResolutionReason): string =>
  reason === 'FLAG_NOT_FOUND' ? 'ERROR' : reason;

const NO_CONTEXT: EvaluationContext = Object.freeze({});

/** The evaluation context of a caller known only by a user id (the origin's routes). */
export const userContext = (userId: string | undefined): EvaluationContext =>
  userId ? { targetingKey: userId } : NO_CONTEXT;

interface RulesetEntry {
  readonly flag: RulesetFlag;
  readonly json: string;
  /** The flag's JSON and that of every segment it uses: what a change is detected on. */
  readonly fingerprint: string;
}

export class EnvironmentSnapshot {
  private readonly list: SnapshotFlag[];
  /** `"flagKey":` for each flag, encoded once per snapshot rather than once per request. */
  private readonly jsonKeys: string[];
  /** Whether any flag reads more of the context than the targeting key. */
  readonly readsAttributes: boolean;
  /** The segments this environment's flags reference, by key. */
  readonly segments: ReadonlyMap<string, { segment: Segment; json: string }>;

  private rulesetFlags: Map<string, RulesetEntry> | undefined;
  private ruleset: { json: string; etag: string } | undefined;
  /** What surrounds each flag's result in the OFREP bulk body: `{"key":…,"value":` and `,"metadata":{…}}`. */
  private ofrepFragments: { prefixes: string[]; suffixes: string[] } | undefined;
  private ofrepEtagPrefix: string | undefined;

  constructor(
    readonly key: string,
    readonly flags: ReadonlyMap<string, SnapshotFlag>,
    readonly version: number,
    allSegments: ReadonlyMap<string, Segment> = new Map(),
  ) {
    this.list = [...flags.values()];
    this.jsonKeys = this.list.map((flag) => `${JSON.stringify(flag.key)}:`);
    this.readsAttributes = this.list.some((flag) => !flag.plain);
    const used = new Map<string, { segment: Segment; json: string }>();
    for (const key of [...new Set(this.list.flatMap((flag) => flag.segmentKeys))].sort()) {
      const segment = allSegments.get(key);
      if (segment) used.set(key, { segment, json: JSON.stringify(segment) });
    }
    this.segments = used;
  }

  /** Each flag as SDKs receive it, with its JSON and what a change is detected on. */
  rulesetFlagMap(): ReadonlyMap<string, RulesetEntry> {
    if (!this.rulesetFlags) {
      this.rulesetFlags = new Map(
        this.list.map((flag) => {
          const json = JSON.stringify(flag.ruleset);
          const segmentJson = flag.segmentKeys.map((key) => this.segments.get(key)?.json ?? 'null').join(',');
          return [flag.key, { flag: flag.ruleset, json, fingerprint: `${json}\u0000${segmentJson}` }];
        }),
      );
    }
    return this.rulesetFlags;
  }

  /** The body of GET /api/client/flags and its entity tag, serialised once per snapshot, on first use. */
  rulesetBody(): { json: string; etag: string } {
    if (!this.ruleset) {
      const flagsJson = [...this.rulesetFlagMap().values()].map((entry) => entry.json).join(',');
      // No `segments` member while no flag uses one, so an origin-style ruleset stays byte for byte what it was.
      const segmentsJson =
        this.segments.size === 0 ? '' : `,"segments":[${[...this.segments.values()].map((s) => s.json).join(',')}]`;
      const json = `{"environment":${JSON.stringify(this.key)},"version":${this.version},"flags":[${flagsJson}]${segmentsJson}}`;
      this.ruleset = { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"` };
    }
    return this.ruleset;
  }

  /**
   * The body of OFREP bulk evaluation for one context: the bytes JSON.stringify gives for
   * `{ flags: [{ key, value, reason, variant, metadata }] }`, built without those objects. A plain boolean flag's
   * metadata is `{ rolloutPercentage }`; a typed flag's is the engine's (the matched rule's id), plus
   * rolloutPercentage for a boolean one; a flag the engine cannot evaluate is an OFREP failure in the list.
   */
  ofrepBulkJson(context: EvaluationContext): string {
    this.ofrepFragments ??= {
      prefixes: this.list.map((flag) => `{"key":${JSON.stringify(flag.key)},"value":`),
      suffixes: this.list.map(
        (flag) => `,"metadata":${JSON.stringify({ rolloutPercentage: flag.rolloutPercentage })}}`,
      ),
    };
    const { prefixes, suffixes } = this.ofrepFragments;
    let json = '{"flags":[';
    for (let i = 0; i < this.list.length; i++) {
      const flag = this.list[i] as SnapshotFlag;
      const resolution = evaluateFlag(flag.compiled, context);
      const separator = i === 0 ? '' : ',';
      if (flag.plain) {
        // Reasons and on/off are upper-case identifiers: nothing in them needs escaping.
        json += `${separator}${prefixes[i]}${resolution.value},"reason":"${ofrepReason(resolution.reason)}","variant":"${resolution.variant}"${suffixes[i]}`;
      } else {
        json += separator + JSON.stringify(ofrepResult(flag, resolution));
      }
    }
    return `${json}]}`;
  }

  /**
   * The OFREP bulk entity tag: the result depends on the ruleset and on the context, so the tag covers both — the
   * targeting key alone while every flag is plain, the whole context once a flag can read its attributes.
   */
  ofrepEtag(context: EvaluationContext): string {
    this.ofrepEtagPrefix ??= `${this.rulesetBody().etag.slice(0, -1)}-`;
    const targetingKey = typeof context.targetingKey === 'string' ? context.targetingKey : '';
    if (!this.readsAttributes) return `${this.ofrepEtagPrefix}${Buffer.from(targetingKey).toString('base64url')}"`;
    const digest = createHash('sha256').update(JSON.stringify(context)).digest('base64url').slice(0, 32);
    return `${this.ofrepEtagPrefix}c${digest}"`;
  }

  /**
   * OFREP bulk for a frontend token: values, reasons and variants only. Metadata names the matched rule and the
   * rollout, which describe the configuration rather than this caller's values.
   */
  ofrepBulkValuesJson(context: EvaluationContext): string {
    const flags = this.list.map((flag) => ofrepValueOnly(ofrepResult(flag, evaluateFlag(flag.compiled, context))));
    return JSON.stringify({ flags });
  }

  /** `{ flagKey: boolean }` for one user: the boolean flags (the origin's answer has no room for other types). */
  evaluateAll(userId: string | undefined): Record<string, boolean> {
    const result: Record<string, boolean> = {};
    const context = userContext(userId);
    for (const flag of this.list) {
      if (flag.type === 'boolean') result[flag.key] = evaluateFlag(flag.compiled, context).value === true;
    }
    return result;
  }

  /** The same as evaluateAll, already serialised: the body of GET /api/config/flags, the hottest path. */
  evaluateAllJson(userId: string | undefined): string {
    const context = userContext(userId);
    let json = '{';
    let first = true;
    for (let i = 0; i < this.list.length; i++) {
      const flag = this.list[i] as SnapshotFlag;
      if (flag.type !== 'boolean') continue;
      json += `${first ? '' : ','}${this.jsonKeys[i]}${evaluateFlag(flag.compiled, context).value === true}`;
      first = false;
    }
    return `${json}}`;
  }
}

/** One flag's OFREP answer: a success, or OFREP's failure shape when the engine could not evaluate it. */
export function ofrepResult(flag: SnapshotFlag, resolution: ReturnType<typeof evaluateFlag>) {
  if (resolution.errorCode !== undefined) {
    return { key: flag.key, errorCode: resolution.errorCode, errorDetails: resolution.errorMessage ?? '' };
  }
  const metadata =
    flag.type === 'boolean'
      ? { rolloutPercentage: flag.rolloutPercentage, ...resolution.metadata }
      : (resolution.metadata ?? undefined);
  return {
    key: flag.key,
    value: resolution.value,
    reason: ofrepReason(resolution.reason),
    variant: resolution.variant,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** An OFREP result without its metadata (for frontend tokens). */
export function ofrepValueOnly(result: ReturnType<typeof ofrepResult>) {
  if (!('metadata' in result)) return result;
  const { metadata: _metadata, ...rest } = result;
  return rest;
}

export interface ConfigSnapshot {
  readonly version: number;
  readonly loadedAt: Date;
  readonly environments: ReadonlyMap<string, EnvironmentSnapshot>;
}

interface StateRow {
  key: string;
  description: string;
  type: FlagType;
  variants: Variant[];
  environment: string;
  enabled: boolean;
  rolloutPercentage: number;
  offVariant: string | null;
  rules: Rule[];
  fallthrough: Serve | null;
}

interface FlagOverrides {
  readonly types: Map<string, OverrideType>;
  readonly pins: Map<string, string>;
}

/** The ruleset form of one flag in one environment; the typed members only when it is more than the origin's flag. */
export function toRulesetFlagOf(
  row: StateRow,
  overrides: FlagOverrides | undefined,
): { flag: RulesetFlag; plain: boolean } {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const [userId, type] of overrides?.types ?? []) (type === 'include' ? include : exclude).push(userId);
  include.sort();
  exclude.sort();
  const pinned = [...(overrides?.pins ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const plain =
    row.type === 'boolean' &&
    row.variants.length === 0 &&
    row.offVariant === null &&
    row.rules.length === 0 &&
    row.fallthrough === null &&
    pinned.length === 0;
  const base: RulesetFlag = {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    rolloutPercentage: row.rolloutPercentage,
    overrides: pinned.length === 0 ? { include, exclude } : { include, exclude, pins: Object.fromEntries(pinned) },
  };
  if (plain) return { flag: base, plain };
  return {
    flag: {
      ...base,
      type: row.type,
      variants: row.variants,
      offVariant: row.offVariant,
      rules: row.rules,
      fallthrough: row.fallthrough,
    },
    plain,
  };
}

/** Reads everything evaluation needs at one consistent point in time, and compiles every flag once. */
export async function loadSnapshot(db: Db): Promise<ConfigSnapshot> {
  return db.transaction(
    async (tx) => {
      const [state] = await tx.select({ version: configState.version }).from(configState).where(eq(configState.id, 1));
      const environmentRows = await tx.select({ key: environments.key }).from(environments);
      const stateRows: StateRow[] = await tx
        .select({
          key: flags.key,
          description: flags.description,
          type: flags.type,
          variants: flags.variants,
          environment: flagStates.environment,
          enabled: flagStates.enabled,
          rolloutPercentage: flagStates.rolloutPercentage,
          offVariant: flagStates.offVariant,
          rules: flagStates.rules,
          fallthrough: flagStates.fallthrough,
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
          variant: flagOverrides.variant,
        })
        .from(flagOverrides)
        .innerJoin(flags, eq(flags.id, flagOverrides.flagId));
      const segmentRows = await tx
        .select({
          key: segments.key,
          name: segments.name,
          description: segments.description,
          constraints: segments.constraints,
        })
        .from(segments)
        .orderBy(segments.key);

      const allSegments = new Map<string, Segment>(segmentRows.map((row) => [row.key, row]));
      const overrides = new Map<string, FlagOverrides>();
      for (const row of overrideRows) {
        const id = `${row.environment}\u0000${row.key}`;
        let users = overrides.get(id);
        if (!users) {
          users = { types: new Map(), pins: new Map() };
          overrides.set(id, users);
        }
        users.types.set(row.userId, row.overrideType);
        if (row.overrideType === 'include' && row.variant !== null) users.pins.set(row.userId, row.variant);
      }
      const byEnvironment = new Map<string, Map<string, SnapshotFlag>>(
        environmentRows.map((row) => [row.key, new Map()]),
      );
      for (const row of stateRows) {
        const flagOverrides = overrides.get(`${row.environment}\u0000${row.key}`);
        const { flag, plain } = toRulesetFlagOf(row, flagOverrides);
        byEnvironment.get(row.environment)?.set(row.key, {
          key: row.key,
          description: row.description,
          enabled: row.enabled,
          rolloutPercentage: row.rolloutPercentage,
          overrides: flagOverrides?.types ?? new Map(),
          type: row.type,
          ruleset: flag,
          compiled: compileFlag(flag, allSegments),
          plain,
          segmentKeys: [...new Set(row.rules.flatMap((rule) => rule.segments ?? []))].sort(),
        });
      }
      const version = state?.version ?? 0;
      return {
        version,
        loadedAt: new Date(),
        environments: new Map(
          [...byEnvironment].map(([key, map]) => [key, new EnvironmentSnapshot(key, map, version, allSegments)]),
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
