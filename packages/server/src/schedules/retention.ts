import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { flagSchedules } from '../db/schema';

/**
 * The origin's retention plan: applied schedules go after appliedDays, cancelled ones after cancelledDays; failed ones
 * stay until someone looks at them. Audit events are never deleted, so the history of each schedule survives it.
 */
export async function cleanupSchedules(
  db: Db,
  retention: { appliedRetentionDays: number; cancelledRetentionDays: number },
): Promise<{ deleted: number }> {
  const days = (count: number) => sql`now() - ${`${count} days`}::interval`;
  const deleted = await db
    .delete(flagSchedules)
    .where(
      or(
        and(eq(flagSchedules.status, 'applied'), lt(flagSchedules.appliedAt, days(retention.appliedRetentionDays))),
        and(
          eq(flagSchedules.status, 'cancelled'),
          lt(flagSchedules.cancelledAt, days(retention.cancelledRetentionDays)),
        ),
        // Plan steps skipped on resume never ran: kept as long as cancelled ones.
        and(eq(flagSchedules.status, 'skipped'), lt(flagSchedules.updatedAt, days(retention.cancelledRetentionDays))),
      ),
    )
    .returning({ id: flagSchedules.id });
  return { deleted: deleted.length };
}
