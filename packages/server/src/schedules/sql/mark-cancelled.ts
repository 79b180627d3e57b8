import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { flagSchedules } from '../../db/schema';
import type { ScheduleRow } from '../schedule-store';

/**
 * Cancels the schedules that are still pending (retrying ones included), one or all of a flag's. The caller holds
 * their flag states first (lock-flag-states.ts), so a worker applying them has finished and they are no longer pending.
 */
export async function markCancelled(
  tx: Tx,
  where: { id: string } | { flagId: string },
  by: string,
  at: Date,
): Promise<ScheduleRow[]> {
  return tx
    .update(flagSchedules)
    .set({ status: 'cancelled', cancelledBy: by, cancelledAt: at, updatedAt: at })
    .where(
      and(
        'id' in where ? eq(flagSchedules.id, where.id) : eq(flagSchedules.flagId, where.flagId),
        eq(flagSchedules.status, 'pending'),
      ),
    )
    .returning();
}
