import {
  compileFlag,
  type FlagType,
  type OverrideType,
  type Rule,
  type RulesetFlag,
  type Segment,
  type Serve,
  type Variant,
} from '@flagline/core';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { configState, environments, flagOverrides, flagStates, flags, segments } from '../db/schema';

import { EnvironmentSnapshot, type SnapshotFlag } from './environment-snapshot';

export interface ConfigSnapshot {
  readonly version: number;
  readonly loadedAt: Date;
  readonly environments: ReadonlyMap<string, EnvironmentSnapshot>;
}

/** A snapshot read from the database, with every segment (what a flag's rules may reference) kept for the next. */
export interface LoadedSnapshot extends ConfigSnapshot {
  readonly segments: ReadonlyMap<string, Segment>;
}

export interface StateRow {
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

export interface FlagOverrides {
  readonly types: Map<string, OverrideType>;
  readonly pins: Map<string, string>;
}

export interface OverrideRow {
  key: string;
  environment: string;
  userId: string;
  overrideType: OverrideType;
  variant: string | null;
}

/** The key of one flag in one environment. */
export const flagInEnvironment = (environment: string, key: string): string => `${environment}\u0000${key}`;

/** Override rows grouped by flag and environment (flagInEnvironment). */
export function groupOverrides(rows: readonly OverrideRow[]): Map<string, FlagOverrides> {
  const overrides = new Map<string, FlagOverrides>();
  for (const row of rows) {
    const id = flagInEnvironment(row.environment, row.key);
    let users = overrides.get(id);
    if (!users) {
      users = { types: new Map(), pins: new Map() };
      overrides.set(id, users);
    }
    users.types.set(row.userId, row.overrideType);
    if (row.overrideType === 'include' && row.variant !== null) users.pins.set(row.userId, row.variant);
  }
  return overrides;
}

/** One flag in one environment as evaluation serves it, compiled against `allSegments`. */
export function toSnapshotFlag(
  row: StateRow,
  overrides: FlagOverrides | undefined,
  allSegments: ReadonlyMap<string, Segment>,
): SnapshotFlag {
  const { flag, plain } = toRulesetFlagOf(row, overrides);
  return {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    rolloutPercentage: row.rolloutPercentage,
    overrides: overrides?.types ?? new Map(),
    type: row.type,
    ruleset: flag,
    compiled: compileFlag(flag, allSegments),
    plain,
    segmentKeys: [...new Set(row.rules.flatMap((rule) => rule.segments ?? []))].sort(),
  };
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
export async function loadSnapshot(db: Db): Promise<LoadedSnapshot> {
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
      const overrideRows: OverrideRow[] = await tx
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
      const overrides = groupOverrides(overrideRows);
      const byEnvironment = new Map<string, Map<string, SnapshotFlag>>(
        environmentRows.map((row) => [row.key, new Map()]),
      );
      for (const row of stateRows) {
        const flagOverrides = overrides.get(flagInEnvironment(row.environment, row.key));
        byEnvironment.get(row.environment)?.set(row.key, toSnapshotFlag(row, flagOverrides, allSegments));
      }
      const version = state?.version ?? 0;
      return {
        version,
        loadedAt: new Date(),
        segments: allSegments,
        environments: new Map(
          [...byEnvironment].map(([key, map]) => [key, new EnvironmentSnapshot(key, map, version, allSegments)]),
        ),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
