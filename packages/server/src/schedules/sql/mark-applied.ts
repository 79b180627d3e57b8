import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/** Marks claimed schedules applied, clearing their retry fields; throws if any is no longer pending. */
export async function markApplied(tx: Tx, ids: string[], appliedAt: Date): Promise<void> {
  if (ids.length === 0) return;
  const at = appliedAt.toISOString();
  const marked = rowsOf<{ id: string }>(
    await tx.execute(sql`
      update flag_schedules
      set status = 'applied', applied_at = ${at}::timestamptz, updated_at = ${at}::timestamptz,
          retry_count = 0, next_retry_at = null, last_error = null
      where status = 'pending'
        and id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      returning id`),
  );
  if (marked.length !== ids.length) throw new Error('a claimed schedule vanished while being applied');
}
