import type { OverrideType } from '@flagline/core';
import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { auditEvents, flagOverrides } from '../db/schema';

export type OverrideRow = typeof flagOverrides.$inferSelect;

const OVERRIDE_EVENT_TYPES = ['flag_override.set', 'flag_override.removed'];

/** The user's override of the flag in the environment, if there is one. */
export async function findOverride(
  executor: Executor,
  where: { flagId: string; environment: string; userId: string },
): Promise<OverrideRow | undefined> {
  const [row] = await executor
    .select()
    .from(flagOverrides)
    .where(
      and(
        eq(flagOverrides.flagId, where.flagId),
        eq(flagOverrides.environment, where.environment),
        eq(flagOverrides.userId, where.userId),
      ),
    );
  return row;
}

export async function insertOverride(
  executor: Executor,
  values: {
    flagId: string;
    environment: string;
    userId: string;
    overrideType: OverrideType;
    reason: string | null;
    variant: string | null;
    createdBy: string;
  },
): Promise<OverrideRow> {
  const [row] = await executor.insert(flagOverrides).values(values).returning();
  if (!row) throw new Error('override insert returned no row');
  return row;
}

export async function updateOverride(
  executor: Executor,
  id: string,
  values: { overrideType: OverrideType; reason: string | null; variant: string | null },
  at: Date,
): Promise<OverrideRow> {
  const [row] = await executor
    .update(flagOverrides)
    .set({ ...values, updatedAt: at })
    .where(eq(flagOverrides.id, id))
    .returning();
  if (!row) throw new Error('override update returned no row');
  return row;
}

export async function deleteOverride(executor: Executor, id: string): Promise<void> {
  await executor.delete(flagOverrides).where(eq(flagOverrides.id, id));
}

/** One page over the flag's overrides in the environment, oldest first, and how many there are in all. */
export async function pageOverrides(
  executor: Executor,
  where: { flagId: string; environment: string },
  page: { limit: number; offset: number },
): Promise<{ rows: OverrideRow[]; total: number }> {
  const scope = and(eq(flagOverrides.flagId, where.flagId), eq(flagOverrides.environment, where.environment));
  const [totals] = await executor.select({ total: count() }).from(flagOverrides).where(scope);
  const rows = await executor
    .select()
    .from(flagOverrides)
    .where(scope)
    .orderBy(asc(flagOverrides.createdAt), asc(flagOverrides.userId))
    .limit(page.limit)
    .offset(page.offset);
  return { rows, total: totals?.total ?? 0 };
}

/**
 * Override changes of the flag in the last hour, counted from the audit trail so every instance shares the count,
 * and the seconds until the oldest of them leaves the hour (null when there is none).
 */
export async function recentOverrideChanges(
  executor: Executor,
  flagKey: string,
): Promise<{ changes: number; secondsUntilFree: number | null }> {
  const [row] = await executor
    .select({
      changes: count(),
      secondsUntilFree: sql<
        string | null
      >`extract(epoch from min(${auditEvents.occurredAt}) + interval '1 hour' - now())`,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.flagKey, flagKey),
        inArray(auditEvents.type, OVERRIDE_EVENT_TYPES),
        gt(auditEvents.occurredAt, sql`now() - interval '1 hour'`),
      ),
    );
  const seconds = row?.secondsUntilFree;
  return {
    changes: row?.changes ?? 0,
    secondsUntilFree: seconds === null || seconds === undefined ? null : Number(seconds),
  };
}
