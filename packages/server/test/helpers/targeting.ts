import type { EnvironmentTargeting, FlagType, Segment, Variant } from '@flagline/core';
import { and, eq, sql } from 'drizzle-orm';
import { configState, flagOverrides, flagStates, flags, segments } from '../../src/db/schema';
import type { TestApp } from './app';

/**
 * Typed flags and segments written straight into the tables (the admin routes for them are another change's), then
 * the config version bumped and the snapshot reloaded, exactly as a committed change would leave them.
 */
export async function writeTypedFlag(
  t: TestApp,
  flag: {
    key: string;
    type: FlagType;
    variants: Variant[];
    environment?: string;
    targeting: Partial<EnvironmentTargeting>;
    pins?: Record<string, string>;
  },
): Promise<void> {
  const db = t.deps.database.db;
  const environment = flag.environment ?? 'production';
  const existing = await db.select({ id: flags.id }).from(flags).where(eq(flags.key, flag.key));
  if (existing.length === 0) expectCreated(await t.request('POST', '/api/admin/flags', { body: { key: flag.key } }));
  const [row] = await db
    .update(flags)
    .set({ type: flag.type, variants: flag.variants })
    .where(eq(flags.key, flag.key))
    .returning({ id: flags.id });
  if (!row) throw new Error(`flag ${flag.key} was not created`);
  const { enabled, rolloutPercentage, offVariant, rules, fallthrough } = flag.targeting;
  await db
    .update(flagStates)
    .set({
      ...(enabled === undefined ? {} : { enabled }),
      ...(rolloutPercentage === undefined ? {} : { rolloutPercentage }),
      ...(offVariant === undefined ? {} : { offVariant }),
      ...(rules === undefined ? {} : { rules }),
      ...(fallthrough === undefined ? {} : { fallthrough }),
    })
    .where(and(eq(flagStates.flagId, row.id), eq(flagStates.environment, environment)));
  for (const [userId, variant] of Object.entries(flag.pins ?? {})) {
    await db
      .insert(flagOverrides)
      .values({ flagId: row.id, environment, userId, overrideType: 'include', variant })
      .onConflictDoUpdate({
        target: [flagOverrides.flagId, flagOverrides.environment, flagOverrides.userId],
        set: { overrideType: 'include', variant },
      });
  }
  await publish(t);
}

export async function writeSegment(t: TestApp, segment: Segment): Promise<void> {
  await t.deps.database.db
    .insert(segments)
    .values(segment)
    .onConflictDoUpdate({
      target: segments.key,
      set: { name: segment.name, description: segment.description, constraints: segment.constraints },
    });
  await publish(t);
}

export async function deleteSegment(t: TestApp, key: string): Promise<void> {
  await t.deps.database.db.delete(segments).where(eq(segments.key, key));
  await publish(t);
}

async function publish(t: TestApp): Promise<void> {
  await t.deps.database.db
    .update(configState)
    .set({ version: sql`${configState.version} + 1` })
    .where(eq(configState.id, 1));
  await t.deps.snapshot.refresh();
}

function expectCreated(response: { status: number; body: unknown }): void {
  if (response.status !== 201)
    throw new Error(`creating a flag answered ${response.status}: ${JSON.stringify(response.body)}`);
}
