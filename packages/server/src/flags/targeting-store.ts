import type { EnvironmentTargeting, FlagType, Variant } from '@flagline/core';
import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagOverrides, flagStates, flags } from '../db/schema';
import { notFound } from '../shared/errors';

export interface TargetingRow {
  id: string;
  key: string;
  type: FlagType;
  variants: Variant[];
  environment: string;
  targeting: EnvironmentTargeting;
  version: number;
  updatedAt: Date;
}

const columns = {
  id: flags.id,
  key: flags.key,
  type: flags.type,
  variants: flags.variants,
  flagUpdatedAt: flags.updatedAt,
  environment: flagStates.environment,
  enabled: flagStates.enabled,
  rolloutPercentage: flagStates.rolloutPercentage,
  offVariant: flagStates.offVariant,
  rules: flagStates.rules,
  fallthrough: flagStates.fallthrough,
  version: flagStates.version,
  stateUpdatedAt: flagStates.updatedAt,
};

/**
 * The flag's targeting in one environment, or 404; `lock` locks the flag row and that state for the rest of the
 * transaction (the same lock order as requireFlagView: the flag row first).
 */
export async function requireTargeting(
  executor: Executor,
  key: string,
  environment: string,
  options: { lock?: boolean } = {},
): Promise<TargetingRow> {
  const found = await findTargeting(executor, key, environment, options);
  if (!found) throw notFound(`Flag "${key}"`);
  return found;
}

export async function findTargeting(
  executor: Executor,
  key: string,
  environment: string,
  options: { lock?: boolean } = {},
): Promise<TargetingRow | undefined> {
  const query = executor
    .select(columns)
    .from(flags)
    .innerJoin(flagStates, eq(flagStates.flagId, flags.id))
    .where(and(eq(flags.key, key), eq(flagStates.environment, environment)));
  const [row] = options.lock ? await query.for('update') : await query;
  if (!row) return undefined;
  return {
    id: row.id,
    key: row.key,
    type: row.type,
    variants: row.variants,
    environment: row.environment,
    targeting: {
      enabled: row.enabled,
      rolloutPercentage: row.rolloutPercentage,
      offVariant: row.offVariant,
      rules: row.rules,
      fallthrough: row.fallthrough ?? null,
    },
    version: row.version,
    updatedAt: new Date(Math.max(row.stateUpdatedAt.getTime(), row.flagUpdatedAt.getTime())),
  };
}

const sqlVersionPlusOne = sql`${flagStates.version} + 1`;

/** Writes one environment's whole targeting and moves its version on; the caller holds the lock. */
export async function writeTargeting(
  executor: Executor,
  flagId: string,
  environment: string,
  targeting: EnvironmentTargeting,
  at: Date,
): Promise<number> {
  const [row] = await executor
    .update(flagStates)
    .set({ ...targeting, version: sqlVersionPlusOne, updatedAt: at })
    .where(and(eq(flagStates.flagId, flagId), eq(flagStates.environment, environment)))
    .returning({ version: flagStates.version });
  if (!row) throw new Error(`flag ${flagId} lost its state in ${environment} inside its own transaction`);
  return row.version;
}

/**
 * New variants for the flag. The targeting view of every environment shows them, so every environment's version moves
 * (as a new description does; see FlagStateValues.version).
 */
export async function writeVariants(executor: Executor, flagId: string, variants: Variant[], at: Date): Promise<void> {
  await executor.update(flags).set({ variants, updatedAt: at }).where(eq(flags.id, flagId));
  await executor
    .update(flagStates)
    .set({ version: sqlVersionPlusOne, updatedAt: at })
    .where(eq(flagStates.flagId, flagId));
}

/** Every environment's targeting of the flag (to find what references a variant). */
export async function allTargeting(
  executor: Executor,
  flagId: string,
): Promise<{ environment: string; targeting: Pick<EnvironmentTargeting, 'offVariant' | 'rules' | 'fallthrough'> }[]> {
  const rows = await executor
    .select({
      environment: flagStates.environment,
      offVariant: flagStates.offVariant,
      rules: flagStates.rules,
      fallthrough: flagStates.fallthrough,
    })
    .from(flagStates)
    .where(eq(flagStates.flagId, flagId))
    .orderBy(asc(flagStates.environment));
  return rows.map(({ environment, ...targeting }) => ({
    environment,
    targeting: { ...targeting, fallthrough: targeting.fallthrough ?? null },
  }));
}

/** Overrides of the flag that pin one of `variants`. */
export async function overridesPinning(executor: Executor, flagId: string, variants: readonly string[]) {
  if (variants.length === 0) return [];
  return executor
    .select({ environment: flagOverrides.environment, userId: flagOverrides.userId, variant: flagOverrides.variant })
    .from(flagOverrides)
    .where(
      and(
        eq(flagOverrides.flagId, flagId),
        isNotNull(flagOverrides.variant),
        inArray(flagOverrides.variant, [...variants]),
      ),
    )
    .orderBy(asc(flagOverrides.environment), asc(flagOverrides.userId))
    .limit(100);
}
