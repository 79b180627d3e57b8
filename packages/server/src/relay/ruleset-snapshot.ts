import { compileFlag, type Ruleset, type RulesetChange, type RulesetFlag, type Segment } from '@flagline/core';
import { EnvironmentSnapshot, type SnapshotFlag } from '../delivery/environment-snapshot';
import type { ConfigSnapshot } from '../delivery/load-snapshot';

/**
 * One environment's ruleset as a relay holds it: the flags in the upstream's order (its ruleset lists them as its
 * database sorts them, so the relay's bodies are the upstream's byte for byte) and the segments they use.
 */
export interface RelayRuleset {
  readonly environment: string;
  readonly version: number;
  readonly flags: readonly RulesetFlag[];
  readonly segments: ReadonlyMap<string, Segment>;
}

export const fromRuleset = (ruleset: Ruleset): RelayRuleset => ({
  environment: ruleset.environment,
  version: ruleset.version,
  flags: ruleset.flags,
  segments: new Map((ruleset.segments ?? []).map((segment) => [segment.key, segment])),
});

/** Whether a change brings flags the ruleset does not list yet (their place in the order is the upstream's to say). */
export const addsFlags = (ruleset: RelayRuleset, change: RulesetChange): boolean => {
  const known = new Set(ruleset.flags.map((flag) => flag.key));
  return change.changed.some((flag) => !known.has(flag.key));
};

/**
 * The ruleset after one change event. New flags take their place in `order` (the keys of a ruleset just fetched
 * from the upstream), or go last when it does not list them.
 */
export function applyChange(ruleset: RelayRuleset, change: RulesetChange, order?: readonly string[]): RelayRuleset {
  const changed = new Map(change.changed.map((flag) => [flag.key, flag]));
  const deleted = new Set(change.deleted);
  const flags = ruleset.flags
    .filter((flag) => !deleted.has(flag.key))
    .map((flag) => {
      const next = changed.get(flag.key);
      changed.delete(flag.key);
      return next ?? flag;
    });
  flags.push(...changed.values());
  if (order) {
    const position = new Map(order.map((key, index) => [key, index]));
    const last = order.length;
    // Stable: flags the order does not know keep their relative place at the end.
    flags.sort((a, b) => (position.get(a.key) ?? last) - (position.get(b.key) ?? last));
  }
  const segments = new Map(ruleset.segments);
  for (const key of change.deletedSegments ?? []) segments.delete(key);
  for (const segment of change.segments ?? []) segments.set(segment.key, segment);
  return { environment: ruleset.environment, version: change.version, flags, segments };
}

/** A flag as evaluation serves it, rebuilt from its ruleset form (what loadSnapshot builds from the database). */
function toSnapshotFlag(flag: RulesetFlag, segments: ReadonlyMap<string, Segment>): SnapshotFlag {
  const overrides = new Map<string, 'include' | 'exclude'>();
  for (const userId of flag.overrides.include) overrides.set(userId, 'include');
  for (const userId of flag.overrides.exclude) overrides.set(userId, 'exclude');
  return {
    key: flag.key,
    description: flag.description,
    enabled: flag.enabled,
    rolloutPercentage: flag.rolloutPercentage,
    overrides,
    type: flag.type ?? 'boolean',
    ruleset: flag,
    compiled: compileFlag(flag, segments),
    // The upstream leaves out the typed members exactly for plain flags.
    plain: flag.type === undefined,
    segmentKeys: [...new Set((flag.rules ?? []).flatMap((rule) => rule.segments ?? []))].sort(),
  };
}

interface Compiled {
  readonly flag: SnapshotFlag;
  /** The segment objects it was compiled against, by key (undefined where the key named none). */
  readonly segments: readonly (Segment | undefined)[];
}

/**
 * Each flag as compiled, kept with its ruleset object: applyChange keeps the objects of the flags a change did not
 * touch, so the snapshot after a change recompiles only the changed flags and those whose segments changed.
 */
const compiledFlags = new WeakMap<RulesetFlag, Compiled>();

function compiledSnapshotFlag(flag: RulesetFlag, segments: ReadonlyMap<string, Segment>): SnapshotFlag {
  const cached = compiledFlags.get(flag);
  if (cached?.flag.segmentKeys.every((key, index) => segments.get(key) === cached.segments[index])) {
    return cached.flag;
  }
  const compiled = toSnapshotFlag(flag, segments);
  compiledFlags.set(flag, { flag: compiled, segments: compiled.segmentKeys.map((key) => segments.get(key)) });
  return compiled;
}

/** The snapshot the delivery routes read, holding the relay's one environment. */
export function toConfigSnapshot(ruleset: RelayRuleset): ConfigSnapshot {
  const flags = new Map(ruleset.flags.map((flag) => [flag.key, compiledSnapshotFlag(flag, ruleset.segments)]));
  const environment = new EnvironmentSnapshot(ruleset.environment, flags, ruleset.version, ruleset.segments);
  return {
    version: ruleset.version,
    loadedAt: new Date(),
    environments: new Map([[ruleset.environment, environment]]),
  };
}
