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

export const bumpVersion = sql`${flagStates.version} + 1`;
