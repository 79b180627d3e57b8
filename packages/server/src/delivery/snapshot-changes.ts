import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { EnvironmentSnapshot, type SnapshotFlag } from './environment-snapshot';
import {
  flagInEnvironment,
  groupOverrides,
  type LoadedSnapshot,
  type OverrideRow,
  type StateRow,
  toSnapshotFlag,
} from './load-snapshot';

/**
 * What each config version changed, as the change notices said: the flags it touched (ChangeNotice.flagKeys), or
 * undefined when it may have changed anything.
 */
export type ChangeScopes = ReadonlyMap<number, readonly string[] | undefined>;

interface FlagRows {
  version: number;
  states: StateRow[];
  overrides: OverrideRow[];
}

/**
 * The config version, and the states and overrides of `keys` in every environment, read by one statement: one point
 * in time without a transaction's extra round trips. The rows come as JSON text so that both drivers (node-postgres,
 * PGlite) hand back the same values; jsonb columns inside it read exactly as the full load reads them.
 */
async function readFlags(db: Db, keys: readonly string[]): Promise<FlagRows> {
  const wanted = sql`(select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))`;
  const result: unknown = await db.execute(sql`
    select
      (select version from config_state where id = 1) as version,
      coalesce((
        select json_agg(json_build_object(
          'key', f.key, 'description', f.description, 'type', f.type, 'variants', f.variants,
          'environment', s.environment, 'enabled', s.enabled, 'rolloutPercentage', s.rollout_percentage,
          'offVariant', s.off_variant, 'rules', s.rules, 'fallthrough', s.fallthrough))
        from flag_states s join flags f on f.id = s.flag_id
        where f.key in ${wanted}), '[]')::text as states,
      coalesce((
        select json_agg(json_build_object(
          'key', f.key, 'environment', o.environment, 'userId', o.user_id, 'overrideType', o.override_type,
          'variant', o.variant))
        from flag_overrides o join flags f on f.id = o.flag_id
        where f.key in ${wanted}), '[]')::text as overrides`);
  const [row] = (result as { rows: { version: number | string | null; states: string; overrides: string }[] }).rows;
  if (!row) throw new Error('reading changed flags returned no row');
  return {
    version: Number(row.version ?? 0),
    states: JSON.parse(row.states) as StateRow[],
    overrides: JSON.parse(row.overrides) as OverrideRow[],
  };
}

/** The flags the versions after `version` touched, when the notices said for every one of them; else undefined. */
function touchedSince(version: number, scopes: ChangeScopes): Set<string> | undefined {
  const keys = new Set<string>();
  for (const [changed, flagKeys] of scopes) {
    if (changed <= version) continue;
    if (flagKeys === undefined) return undefined;
    for (const key of flagKeys) keys.add(key);
  }
  return keys;
}

/**
 * The snapshot after `previous`, re-reading and recompiling only the flags the changes since touched, every other
 * flag (compiled, with its ruleset JSON cached) and the segments reused. Undefined when that cannot give what a full
 * load gives, and the caller loads everything: a version the notices did not scope (a lost notification found by the
 * version poll, a segment, environment or import change), a version older than `previous`, or a flag new to an
 * environment (its place in the order is the database's to say).
 */
export async function loadFlagChanges(
  db: Db,
  previous: LoadedSnapshot,
  scopes: ChangeScopes,
): Promise<LoadedSnapshot | undefined> {
  // What is known now: a notice arriving while the rows are read is not among the keys read, so it must not count.
  const known = new Map(scopes);
  const keys = touchedSince(previous.version, known);
  if (!keys) return undefined;
  const rows = await readFlags(db, [...keys]);
  if (rows.version < previous.version) return undefined;
  for (let version = previous.version + 1; version <= rows.version; version++) {
    if (!known.has(version)) return undefined;
  }
  const states = new Map(rows.states.map((row) => [flagInEnvironment(row.environment, row.key), row]));
  const overrides = groupOverrides(rows.overrides);
  const environments = new Map<string, EnvironmentSnapshot>();
  for (const [name, environment] of previous.environments) {
    const flags = new Map<string, SnapshotFlag>();
    for (const [key, flag] of environment.flags) {
      if (!keys.has(key)) {
        flags.set(key, flag);
        continue;
      }
      const id = flagInEnvironment(name, key);
      const row = states.get(id);
      // No state any more: the flag was deleted.
      if (!row) continue;
      flags.set(key, toSnapshotFlag(row, overrides.get(id), previous.segments));
      states.delete(id);
    }
    environments.set(name, new EnvironmentSnapshot(name, flags, rows.version, previous.segments));
  }
  if (states.size > 0) return undefined;
  return { version: rows.version, loadedAt: new Date(), segments: previous.segments, environments };
}
