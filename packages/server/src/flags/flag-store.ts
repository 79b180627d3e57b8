import type { FlagType, FlagView, Rule, Serve, Variant } from '@flagline/core';
import { and, asc, eq, gt, ilike, ne, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { environments, flagStates, flags } from '../db/schema';
import { notFound } from '../shared/errors';

const viewColumns = {
  id: flags.id,
  key: flags.key,
  description: flags.description,
  createdAt: flags.createdAt,
  flagUpdatedAt: flags.updatedAt,
  environment: flagStates.environment,
  enabled: flagStates.enabled,
  rolloutPercentage: flagStates.rolloutPercentage,
  version: flagStates.version,
  stateUpdatedAt: flagStates.updatedAt,
};

type ViewRow = {
  id: string;
  key: string;
  description: string;
  createdAt: Date;
  flagUpdatedAt: Date;
  environment: string;
  enabled: boolean;
  rolloutPercentage: number;
  version: number;
  stateUpdatedAt: Date;
};

export function toFlagView(row: ViewRow): FlagView {
  const updatedAt = new Date(Math.max(row.stateUpdatedAt.getTime(), row.flagUpdatedAt.getTime()));
  return {
    key: row.key,
    description: row.description,
    environment: row.environment,
    enabled: row.enabled,
    rolloutPercentage: row.rolloutPercentage,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

/**
 * The flag in one environment, or 404; `lock` locks the flag row and its state there for the rest of the
 * transaction (the flag row first: changes to one flag take turns, whatever environment they change).
 */
export async function requireFlagView(
  executor: Executor,
  key: string,
  environment: string,
  options: { lock?: boolean } = {},
): Promise<ViewRow & { view: FlagView }> {
  const found = await findFlagView(executor, key, environment, options);
  if (!found) throw notFound(`Flag "${key}"`);
  return found;
}

async function findFlagView(
  executor: Executor,
  key: string,
  environment: string,
  options: { lock?: boolean } = {},
): Promise<(ViewRow & { view: FlagView }) | undefined> {
  const query = executor
    .select(viewColumns)
    .from(flags)
    .innerJoin(flagStates, eq(flagStates.flagId, flags.id))
    .where(and(eq(flags.key, key), eq(flagStates.environment, environment)));
  const [row] = options.lock ? await query.for('update') : await query;
  return row ? { ...row, view: toFlagView(row) } : undefined;
}

export async function listFlagViews(
  executor: Executor,
  options: { environment: string; q: string | undefined; limit: number; afterKey: string | undefined },
): Promise<{ items: FlagView[]; lastKey: string | undefined; hasMore: boolean }> {
  const pattern = options.q ? `%${options.q.replace(/[\\%_]/g, (char) => `\\${char}`)}%` : undefined;
  const rows = await executor
    .select(viewColumns)
    .from(flags)
    .innerJoin(flagStates, eq(flagStates.flagId, flags.id))
    .where(
      and(
        eq(flagStates.environment, options.environment),
        options.afterKey === undefined ? undefined : gt(flags.key, options.afterKey),
        pattern === undefined ? undefined : or(ilike(flags.key, pattern), ilike(flags.description, pattern)),
      ),
    )
    .orderBy(asc(flags.key))
    .limit(options.limit + 1);
  const hasMore = rows.length > options.limit;
  const page = rows.slice(0, options.limit);
  return { items: page.map(toFlagView), lastKey: page.at(-1)?.key, hasMore };
}

export type FlagRow = typeof flags.$inferSelect;

/**
 * The flag with this key, or 404. `lock` locks its row for the rest of the transaction: the per-flag serialisation
 * point for changes to it (overrides and their rate limit, deletion), taken before its states (see setStates).
 */
export async function requireFlagByKey(
  executor: Executor,
  key: string,
  options: { lock?: boolean } = {},
): Promise<FlagRow> {
  const query = executor.select().from(flags).where(eq(flags.key, key));
  const [row] = options.lock ? await query.for('update') : await query;
  if (!row) throw notFound(`Flag "${key}"`);
  return row;
}

/**
 * How a new state starts: disabled, 0%; a flag of another type than boolean serves its first variant both when off
 * and as fallthrough, so it answers a value of its type from the start.
 */
function initialState(flag: { id: string; type: FlagType; variants: Variant[] }, environment: string) {
  const first = flag.type === 'boolean' ? undefined : flag.variants[0]?.key;
  return first === undefined
    ? { flagId: flag.id, environment }
    : { flagId: flag.id, environment, offVariant: first, fallthrough: { variant: first } };
}

/** The flag with this id, if it still exists. */
export async function findFlagById(executor: Executor, id: string): Promise<FlagRow | undefined> {
  const [row] = await executor.select().from(flags).where(eq(flags.id, id));
  return row;
}

/** Inserts the flag with a state in every environment (disabled, 0%); undefined when the key is taken. */
export async function insertFlag(
  executor: Executor,
  values: { key: string; description: string; type?: FlagType; variants?: Variant[] },
): Promise<FlagRow | undefined> {
  const [created] = await executor.insert(flags).values(values).onConflictDoNothing().returning();
  if (!created) return undefined;
  const environmentKeys = await executor.select({ key: environments.key }).from(environments);
  await executor.insert(flagStates).values(environmentKeys.map((row) => initialState(created, row.key)));
  return created;
}

/** Gives every flag a state in a new environment (disabled, 0%). */
export async function addStatesInEnvironment(executor: Executor, environment: string): Promise<void> {
  const all = await executor.select({ id: flags.id, type: flags.type, variants: flags.variants }).from(flags);
  if (all.length === 0) return;
  await executor.insert(flagStates).values(all.map((flag) => initialState(flag, environment)));
}

/** Deletes the flag; its states and overrides go with it (foreign keys cascade). */
export async function deleteFlagRow(executor: Executor, flagId: string): Promise<void> {
  await executor.delete(flags).where(eq(flags.id, flagId));
}

export async function allStates(executor: Executor, flagId: string) {
  return executor
    .select({
      environment: flagStates.environment,
      enabled: flagStates.enabled,
      rolloutPercentage: flagStates.rolloutPercentage,
      version: flagStates.version,
    })
    .from(flagStates)
    .where(eq(flagStates.flagId, flagId))
    .orderBy(asc(flagStates.environment));
}

export interface FlagStateValues {
  enabled: boolean;
  rolloutPercentage: number;
  /**
   * The version of the flag as this environment shows it (FlagView.version, the ETag that If-Match compares): +1 for
   * each change of its state here, and +1 in EVERY environment when the description changes, because each
   * environment's view shows the description. (A flag-level version would make If-Match compare two numbers, and one
   * environment's ETag would not move when another's state did; bumping every environment keeps one number per view.)
   */
  version: number;
}

/** The parts of a state beyond the boolean shorthand (#12): only written when a patch carries them. */
export interface StateTargetingValues {
  offVariant: string | null;
  rules: Rule[];
  fallthrough: Serve | null;
}

export type StatePatch = Partial<Pick<FlagStateValues, 'enabled' | 'rolloutPercentage'> & StateTargetingValues>;

export interface StateChange {
  before: FlagStateValues;
  after: FlagStateValues;
  /** Set when the write's patch carried offVariant, rules or fallthrough. */
  targeting?: { before: StateTargetingValues; after: StateTargetingValues };
}

const touchesTargeting = (patch: StatePatch) =>
  patch.offVariant !== undefined || patch.rules !== undefined || patch.fallthrough !== undefined;

export interface StateWrite {
  flagId: string;
  environment: string;
  patch: StatePatch;
}

/** A state the caller has read `for update` earlier in the same transaction, with the values it read. */
export interface LockedState {
  flagId: string;
  environment: string;
  values: FlagStateValues;
}

const stateKey = (flagId: string, environment: string) => `${flagId} ${environment}`;
const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * The one place flag state changes: each write merges its patch into the state and bumps the version by one, in the
 * order given, exactly as if each were applied alone (the scheduler folds a whole batch through here, the PATCH route
 * one write). Two statements however many writes: lock and read the states in (flag, environment) order, then write
 * each state's final values. A write whose state does not exist gets `undefined` and changes nothing.
 */
export async function setStates(
  executor: Executor,
  writes: StateWrite[],
  at: Date,
  alreadyLocked?: LockedState,
): Promise<(StateChange | undefined)[]> {
  if (writes.length === 0) return [];
  const targets = new Map(writes.map((write) => [stateKey(write.flagId, write.environment), write]));
  const keys = JSON.stringify([...targets.values()].map((w) => ({ flag_id: w.flagId, environment: w.environment })));
  // The jsonb columns are read and written only by batches that change them: the origin's writes stay as cheap.
  const withTargeting = writes.some((write) => touchesTargeting(write.patch));
  const targetingColumns = withTargeting ? sql`, s.off_variant, s.rules, s.fallthrough` : sql``;
  // A single write whose state the caller has locked and read in this transaction needs no second read.
  const [only] = writes;
  const known =
    alreadyLocked &&
    writes.length === 1 &&
    only &&
    !withTargeting &&
    only.flagId === alreadyLocked.flagId &&
    only.environment === alreadyLocked.environment
      ? alreadyLocked
      : undefined;
  const locked = known
    ? [
        {
          flag_id: known.flagId,
          environment: known.environment,
          enabled: known.values.enabled,
          rollout_percentage: known.values.rolloutPercentage,
          version: known.values.version,
        },
      ]
    : rowsOf<{
        flag_id: string;
        environment: string;
        enabled: boolean;
        rollout_percentage: number;
        version: number;
        off_variant?: string | null;
        rules?: Rule[];
        fallthrough?: Serve | null;
      }>(
        await executor.execute(sql`
      select s.flag_id, s.environment, s.enabled, s.rollout_percentage, s.version${targetingColumns}
      from flag_states s
      join jsonb_to_recordset(${keys}::jsonb) as k(flag_id uuid, environment text)
        on s.flag_id = k.flag_id and s.environment = k.environment
      order by s.flag_id, s.environment
      for update of s`),
      );
  const states = new Map<string, FlagStateValues>(
    locked.map((row) => [
      stateKey(row.flag_id, row.environment),
      { enabled: row.enabled, rolloutPercentage: row.rollout_percentage, version: row.version },
    ]),
  );
  const targetingStates = new Map<string, StateTargetingValues>(
    locked.map((row) => [
      stateKey(row.flag_id, row.environment),
      { offVariant: row.off_variant ?? null, rules: row.rules ?? [], fallthrough: row.fallthrough ?? null },
    ]),
  );
  const changed = new Set<string>();
  const changes = writes.map(({ flagId, environment, patch }): StateChange | undefined => {
    const key = stateKey(flagId, environment);
    const before = states.get(key);
    if (!before) return undefined;
    const after: FlagStateValues = {
      enabled: patch.enabled ?? before.enabled,
      rolloutPercentage: patch.rolloutPercentage ?? before.rolloutPercentage,
      version: before.version + 1,
    };
    states.set(key, after);
    changed.add(key);
    if (!touchesTargeting(patch)) return { before, after };
    const targetingBefore = targetingStates.get(key) as StateTargetingValues;
    const targetingAfter: StateTargetingValues = {
      offVariant: patch.offVariant === undefined ? targetingBefore.offVariant : patch.offVariant,
      rules: patch.rules ?? targetingBefore.rules,
      fallthrough: patch.fallthrough === undefined ? targetingBefore.fallthrough : patch.fallthrough,
    };
    targetingStates.set(key, targetingAfter);
    return { before, after, targeting: { before: targetingBefore, after: targetingAfter } };
  });
  if (changed.size > 0) {
    const finalStates = JSON.stringify(
      [...changed].map((key) => {
        const target = targets.get(key);
        const state = states.get(key);
        const targeting = targetingStates.get(key);
        return {
          flag_id: target?.flagId,
          environment: target?.environment,
          enabled: state?.enabled,
          rollout_percentage: state?.rolloutPercentage,
          version: state?.version,
          ...(withTargeting
            ? { off_variant: targeting?.offVariant, rules: targeting?.rules, fallthrough: targeting?.fallthrough }
            : {}),
        };
      }),
    );
    const updated = rowsOf<{ flag_id: string }>(
      withTargeting
        ? await executor.execute(sql`
        update flag_states s
        set enabled = v.enabled, rollout_percentage = v.rollout_percentage, version = v.version,
            off_variant = v.off_variant, rules = v.rules, fallthrough = nullif(v.fallthrough, 'null'::jsonb),
            updated_at = ${at.toISOString()}::timestamptz
        from jsonb_to_recordset(${finalStates}::jsonb)
          as v(flag_id uuid, environment text, enabled boolean, rollout_percentage integer, version integer,
               off_variant text, rules jsonb, fallthrough jsonb)
        where s.flag_id = v.flag_id and s.environment = v.environment
        returning s.flag_id`)
        : await executor.execute(sql`
        update flag_states s
        set enabled = v.enabled, rollout_percentage = v.rollout_percentage, version = v.version,
            updated_at = ${at.toISOString()}::timestamptz
        from jsonb_to_recordset(${finalStates}::jsonb)
          as v(flag_id uuid, environment text, enabled boolean, rollout_percentage integer, version integer)
        where s.flag_id = v.flag_id and s.environment = v.environment
        returning s.flag_id`),
    );
    if (updated.length !== changed.size) throw new Error('a locked flag state vanished while being updated');
  }
  return changes;
}

/** A change of a flag in one environment: its state there, and its description (which every environment shows). */
export type FlagPatch = StatePatch & { description?: string };

/**
 * Changes a flag in one environment (see setStates): before, after and the new version there, or `undefined` if the
 * state does not exist. A new description is written too, and moves the version of every other environment as well
 * (see FlagStateValues.version).
 */
export async function setState(
  executor: Executor,
  flagId: string,
  environment: string,
  patch: FlagPatch,
  at: Date,
  alreadyLocked?: LockedState,
): Promise<StateChange | undefined> {
  const { description, ...statePatch } = patch;
  const writes: StateWrite[] = [{ flagId, environment, patch: statePatch }];
  if (description !== undefined) {
    await executor.update(flags).set({ description, updatedAt: at }).where(eq(flags.id, flagId));
    const others = await executor
      .select({ environment: flagStates.environment })
      .from(flagStates)
      .where(and(eq(flagStates.flagId, flagId), ne(flagStates.environment, environment)));
    for (const other of others) writes.push({ flagId, environment: other.environment, patch: {} });
  }
  // setStates uses alreadyLocked only when it is this very state and nothing else is written.
  const [change] = await setStates(executor, writes, at, alreadyLocked);
  return change;
}
