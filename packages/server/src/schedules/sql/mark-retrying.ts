import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { flagSchedules } from '../../db/schema';

/** Leaves a schedule pending until `nextRetryAt`, with one more attempt counted and the error kept. */
export async function markRetrying(
  tx: Tx,
  id: string,
  retry: { retryCount: number; nextRetryAt: Date; lastError: string; at: Date },
): Promise<void> {
  await tx
    .update(flagSchedules)
    .set({
      retryCount: retry.retryCount,
      nextRetryAt: retry.nextRetryAt,
      lastError: retry.lastError,
      updatedAt: retry.at,
    })
    .where(eq(flagSchedules.id, id));
}
