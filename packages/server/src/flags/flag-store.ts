import type { FlagView } from '@flagline/core';
import { and, asc, eq, gt, ilike, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagStates, flags } from '../db/schema';

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

/** The flag in one environment; `lock` takes a row lock on its state for the rest of the transaction. */
export async function findFlagView(
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

/** Locks the flag row: the per-flag serialisation point for overrides and their rate limit. */
export async function lockFlag(executor: Executor, key: string): Promise<{ id: string } | undefined> {
  const [row] = await executor.select({ id: flags.id }).from(flags).where(eq(flags.key, key)).for('update');
  return row;
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
  version: number;
}

export type StatePatch = Partial<Pick<FlagStateValues, 'enabled' | 'rolloutPercentage'>>;

export interface StateChange {
  before: FlagStateValues;
  after: FlagStateValues;
}

export interface StateWrite {
  flagId: string;
  environment: string;
  patch: StatePatch;
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
): Promise<(StateChange | undefined)[]> {
  if (writes.length === 0) return [];
  const targets = new Map(writes.map((write) => [stateKey(write.flagId, write.environment), write]));
  const keys = JSON.stringify([...targets.values()].map((w) => ({ flag_id: w.flagId, environment: w.environment })));
  const locked = rowsOf<{
    flag_id: string;
    environment: string;
    enabled: boolean;
    rollout_percentage: number;
    version: number;
  }>(
    await executor.execute(sql`
      select s.flag_id, s.environment, s.enabled, s.rollout_percentage, s.version
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
  const changed = new Set<string>();
  const changes = writes.map(({ flagId, environment, patch }) => {
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
    return { before, after };
  });
  if (changed.size > 0) {
    const finalStates = JSON.stringify(
      [...changed].map((key) => {
        const target = targets.get(key);
        const state = states.get(key);
        return {
          flag_id: target?.flagId,
          environment: target?.environment,
          enabled: state?.enabled,
          rollout_percentage: state?.rolloutPercentage,
          version: state?.version,
        };
      }),
    );
    const updated = rowsOf<{ flag_id: string }>(
      await executor.execute(sql`
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

/** One state write (see setStates): before, after and the new version, or `undefined` if the state does not exist. */
export async function setState(
  executor: Executor,
  flagId: string,
  environment: string,
  patch: StatePatch,
  at: Date,
): Promise<StateChange | undefined> {
  const [change] = await setStates(executor, [{ flagId, environment, patch }], at);
  return change;
}
