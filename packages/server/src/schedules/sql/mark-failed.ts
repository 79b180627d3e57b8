import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { flagSchedules } from '../../db/schema';
import type { ScheduleRow } from '../schedule-store';

/** Fails a schedule for good, with the error that ended it. */
export async function markFailed(tx: Tx, id: string, message: string, at: Date): Promise<ScheduleRow | undefined> {
  const [failed] = await tx
    .update(flagSchedules)
    .set({ status: 'failed', errorMessage: message, lastError: message, nextRetryAt: null, updatedAt: at })
    .where(eq(flagSchedules.id, id))
    .returning();
  return failed;
}
