import type { Constraint, SegmentUsage } from '@flagline/core';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { flagStates, flags, segments } from '../db/schema';

export type SegmentRow = typeof segments.$inferSelect;

export async function findSegment(
  executor: Executor,
  key: string,
  options: { lock?: boolean } = {},
): Promise<SegmentRow | undefined> {
  const query = executor.select().from(segments).where(eq(segments.key, key));
  const [row] = options.lock ? await query.for('update') : await query;
  return row;
}

export async function listSegmentRows(executor: Executor): Promise<SegmentRow[]> {
  return executor.select().from(segments).orderBy(asc(segments.key));
}

/** Undefined when the key is taken. */
export async function insertSegment(
  executor: Executor,
  values: { key: string; name: string; description: string; constraints: Constraint[] },
): Promise<SegmentRow | undefined> {
  const [row] = await executor.insert(segments).values(values).onConflictDoNothing().returning();
  return row;
}

export async function replaceSegment(
  executor: Executor,
  key: string,
  values: { name: string; description: string; constraints: Constraint[] },
  at: Date,
): Promise<SegmentRow> {
  const [row] = await executor
    .update(segments)
    .set({ ...values, version: sql`${segments.version} + 1`, updatedAt: at })
    .where(eq(segments.key, key))
    .returning();
  if (!row) throw new Error(`segment ${key} vanished while locked`);
  return row;
}

export async function deleteSegmentRow(executor: Executor, key: string): Promise<void> {
  await executor.delete(segments).where(eq(segments.key, key));
}

/**
 * Which of `keys` exist, each share-locked for the rest of the transaction: a rule that references a segment keeps it
 * from being deleted until the rule is committed, and the delete then sees the rule (deleteSegment locks for update).
 */
export async function lockExistingSegments(executor: Executor, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await executor
    .select({ key: segments.key })
    .from(segments)
    .where(inArray(segments.key, [...keys]))
    .orderBy(asc(segments.key))
    .for('share');
  return new Set(rows.map((row) => row.key));
}

/** The flags (per environment) whose rules reference the segment, found by jsonb containment on the rules. */
export async function segmentUsage(executor: Executor, key: string): Promise<SegmentUsage[]> {
  const pattern = JSON.stringify([{ segments: [key] }]);
  return executor
    .select({ flagKey: flags.key, environment: flagStates.environment })
    .from(flagStates)
    .innerJoin(flags, eq(flags.id, flagStates.flagId))
    .where(sql`${flagStates.rules} @> ${pattern}::jsonb`)
    .orderBy(asc(flags.key), asc(flagStates.environment));
}

/** Usage of every segment that has any, in one query (the list view). */
export async function allSegmentUsage(executor: Executor): Promise<Map<string, SegmentUsage[]>> {
  const rows = await executor.execute(sql`
    select distinct seg.key as segment_key, f.key as flag_key, s.environment
    from flag_states s
    join flags f on f.id = s.flag_id
    cross join lateral jsonb_array_elements(s.rules) as rule
    cross join lateral jsonb_array_elements_text(coalesce(rule -> 'segments', '[]'::jsonb)) as seg(key)
    order by seg.key, f.key, s.environment`);
  const usage = new Map<string, SegmentUsage[]>();
  for (const row of (rows as unknown as { rows: { segment_key: string; flag_key: string; environment: string }[] })
    .rows) {
    const list = usage.get(row.segment_key) ?? [];
    list.push({ flagKey: row.flag_key, environment: row.environment });
    usage.set(row.segment_key, list);
  }
  return usage;
}
