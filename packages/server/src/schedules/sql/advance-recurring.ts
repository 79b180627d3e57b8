import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * Records an applied occurrence of a claimed recurring schedule and moves it on to its next occurrence (still
 * pending, so the next claim finds it when that is due) or, with none left, completes it. It runs in the transaction
 * that applied the occurrence: a worker killed before the commit leaves the occurrence due, and one that committed
 * has moved scheduled_at past it, so no other worker can apply it again. Throws if the row is no longer pending.
 */
export async function advanceRecurring(
  tx: Tx,
  advance: { id: string; occurrenceAt: Date; occurrenceCount: number; next: Date | undefined; appliedAt: Date },
): Promise<void> {
  const at = advance.appliedAt.toISOString();
  const marked = rowsOf<{ id: string }>(
    await tx.execute(sql`
      update flag_schedules
      set status = ${advance.next ? 'pending' : 'completed'},
          scheduled_at = ${(advance.next ?? advance.occurrenceAt).toISOString()}::timestamptz,
          occurrence_count = ${advance.occurrenceCount},
          last_occurrence_at = ${advance.occurrenceAt.toISOString()}::timestamptz,
          applied_at = ${at}::timestamptz, updated_at = ${at}::timestamptz,
          retry_count = 0, next_retry_at = null, last_error = null
      where id = ${advance.id} and status = 'pending'
      returning id`),
  );
  if (marked.length !== 1) throw new Error('a claimed recurring schedule vanished while being applied');
}
