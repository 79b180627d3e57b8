import type { ExportedFlag, FlagType, Segment, Variant } from '@flagline/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagOverrides, flagStates, flags, segments } from '../db/schema';

/*
 * What an import reads in one go, and the one write the targeting and override services have no batch form of:
 * replacing an environment's overrides of a flag wholesale.
 */

export interface StoredFlag {
  id: string;
  key: string;
  description: string;
  type: FlagType;
  variants: Variant[];
}

export async function findFlags(executor: Executor, keys: readonly string[]): Promise<Map<string, StoredFlag>> {
  if (keys.length === 0) return new Map();
  const rows = await executor
    .select({
      id: flags.id,
      key: flags.key,
      description: flags.description,
      type: flags.type,
      variants: flags.variants,
    })
    .from(flags)
    .where(inArray(flags.key, [...keys]))
    .for('update');
  return new Map(rows.map((row) => [row.key, row]));
}

export async function findSegments(executor: Executor, keys: readonly string[]): Promise<Map<string, Segment>> {
  if (keys.length === 0) return new Map();
  const rows = await executor
    .select({
      key: segments.key,
      name: segments.name,
      description: segments.description,
      constraints: segments.constraints,
    })
    .from(segments)
    .where(inArray(segments.key, [...keys]))
    .for('update');
  return new Map(rows.map((row) => [row.key, row]));
}

export async function allSegments(executor: Executor): Promise<Segment[]> {
  return executor
    .select({
      key: segments.key,
      name: segments.name,
      description: segments.description,
      constraints: segments.constraints,
    })
    .from(segments)
    .orderBy(asc(segments.key));
}

export async function replaceOverrides(
  executor: Executor,
  flagId: string,
  environment: string,
  overrides: ExportedFlag['overrides'],
  createdBy: string,
): Promise<void> {
  await executor
    .delete(flagOverrides)
    .where(and(eq(flagOverrides.flagId, flagId), eq(flagOverrides.environment, environment)));
  if (overrides.length === 0) return;
  await executor.insert(flagOverrides).values(
    overrides.map((override) => ({
      flagId,
      environment,
      userId: override.userId,
      overrideType: override.overrideType,
      variant: override.variant,
      reason: 'imported',
      createdBy,
    })),
  );
}

/** Every flag with its targeting and overrides in one environment, ordered by key. */
export async function readEnvironment(executor: Executor, environment: string): Promise<ExportedFlag[]> {
  const rows = await executor
    .select({
      id: flags.id,
      key: flags.key,
      description: flags.description,
      type: flags.type,
      variants: flags.variants,
      enabled: flagStates.enabled,
      rolloutPercentage: flagStates.rolloutPercentage,
      offVariant: flagStates.offVariant,
      rules: flagStates.rules,
      fallthrough: flagStates.fallthrough,
    })
    .from(flags)
    .innerJoin(flagStates, eq(flagStates.flagId, flags.id))
    .where(eq(flagStates.environment, environment))
    .orderBy(asc(flags.key));
  const overrideRows = await executor
    .select({
      flagId: flagOverrides.flagId,
      userId: flagOverrides.userId,
      overrideType: flagOverrides.overrideType,
      variant: flagOverrides.variant,
    })
    .from(flagOverrides)
    .where(eq(flagOverrides.environment, environment))
    .orderBy(asc(flagOverrides.userId));
  const overridesOf = new Map<string, ExportedFlag['overrides']>();
  for (const row of overrideRows) {
    const list = overridesOf.get(row.flagId) ?? [];
    list.push({ userId: row.userId, overrideType: row.overrideType, variant: row.variant });
    overridesOf.set(row.flagId, list);
  }
  return rows.map((row) => ({
    key: row.key,
    description: row.description,
    type: row.type,
    variants: row.variants,
    targeting: {
      enabled: row.enabled,
      rolloutPercentage: row.rolloutPercentage,
      offVariant: row.offVariant,
      rules: row.rules,
      fallthrough: row.fallthrough ?? null,
    },
    overrides: overridesOf.get(row.id) ?? [],
  }));
}
