import type { EnvironmentTargeting, ExportedFlag, FlagType, Segment, Variant } from '@flagline/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagOverrides, flagStates, flags, segments } from '../db/schema';
import { insertFlag } from '../flags/flag-store';

/*
 * The rows an import writes and reads, kept to what an import needs until the targeting service (#12, helper B)
 * offers these writes; then the service here calls it instead.
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

export async function writeSegment(executor: Executor, segment: Segment, exists: boolean, at: Date): Promise<void> {
  if (exists) {
    await executor
      .update(segments)
      .set({ name: segment.name, description: segment.description, constraints: segment.constraints, updatedAt: at })
      .where(eq(segments.key, segment.key));
  } else {
    await executor.insert(segments).values(segment);
  }
}

/** Creates the flag (a state in every environment) or redefines it; returns its id. */
export async function writeFlagDefinition(
  executor: Executor,
  flag: { key: string; description: string; type: FlagType; variants: Variant[] },
  existing: StoredFlag | undefined,
  at: Date,
): Promise<string> {
  let id = existing?.id;
  if (id === undefined) {
    const created = await insertFlag(executor, { key: flag.key, description: flag.description });
    if (!created) throw new Error(`flag ${flag.key} appeared while being imported`);
    id = created.id;
  }
  await executor
    .update(flags)
    .set({ description: flag.description, type: flag.type, variants: flag.variants, updatedAt: at })
    .where(eq(flags.id, id));
  return id;
}

/** Replaces the flag's targeting in one environment (its version moves on, so If-Match sees it). */
export async function writeTargeting(
  executor: Executor,
  flagId: string,
  environment: string,
  targeting: EnvironmentTargeting,
  at: Date,
): Promise<void> {
  const [current] = await executor
    .select({ version: flagStates.version })
    .from(flagStates)
    .where(and(eq(flagStates.flagId, flagId), eq(flagStates.environment, environment)))
    .for('update');
  if (!current) throw new Error(`flag ${flagId} has no state in ${environment}`);
  await executor
    .update(flagStates)
    .set({
      enabled: targeting.enabled,
      rolloutPercentage: targeting.rolloutPercentage,
      offVariant: targeting.offVariant,
      rules: targeting.rules,
      fallthrough: targeting.fallthrough,
      version: current.version + 1,
      updatedAt: at,
    })
    .where(and(eq(flagStates.flagId, flagId), eq(flagStates.environment, environment)));
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
