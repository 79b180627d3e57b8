import { eq, min, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { flagSchedules } from '../../db/schema';
import { dueAt } from '../schedule-store';

/** Milliseconds until the next pending schedule is due (negative if overdue), or undefined if none is pending. */
export async function msUntilNextDue(executor: Executor): Promise<number | undefined> {
  const [row] = await executor
    .select({ ms: sql<string | null>`extract(epoch from (${min(dueAt)} - now())) * 1000` })
    .from(flagSchedules)
    .where(eq(flagSchedules.status, 'pending'));
  return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
}
