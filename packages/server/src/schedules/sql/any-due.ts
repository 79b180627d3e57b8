import { and, eq, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { flagSchedules } from '../../db/schema';
import { dueAt } from '../schedule-store';

/** Whether any pending schedule is due (held by another worker, when this one could claim none). */
export async function anyDue(executor: Executor): Promise<boolean> {
  const [row] = await executor
    .select({ id: flagSchedules.id })
    .from(flagSchedules)
    .where(and(eq(flagSchedules.status, 'pending'), lte(dueAt, sql`now()`)))
    .limit(1);
  return row !== undefined;
}
