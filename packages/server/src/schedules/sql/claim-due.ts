import { asc, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { flagSchedules } from '../../db/schema';
import { dueAt, type ScheduleRow } from '../schedule-store';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/**
 * Claims work by flag, not by schedule (graphile-worker's queue locking): locks flag states that have something due,
 * earliest due first, skipping states another worker holds, then takes the due schedules of the locked states in due
 * order, then creation order, up to `limit`. It locks as many states as the head of the queue needs to fill a batch
 * (one flag with a backlog of `limit`, or `limit` flags with one each), so that concurrent workers split a backlog
 * by flag instead of one holding every flag while using one schedule of each. Holding a state, this worker is the only
 * one applying or cancelling its schedules, so none of them is skipped and they apply in order. Due schedules with no
 * flag state (the flag or environment is gone) are claimed too, so they can be failed.
 *
 * LOCK ORDER, followed by everything that locks both: the flag state first, then its schedules (cancelling and deleting
 * a flag lock the states before touching schedules, see lock-flag-states.ts).
 */
export async function claimDue(tx: Tx, limit: number): Promise<ScheduleRow[]> {
  const claimed = rowsOf<{ id: string }>(
    await tx.execute(sql`
      with due as materialized (
        select flag_id, environment, min(coalesce(next_retry_at, scheduled_at)) as first_due, count(*) as due_count
        from flag_schedules
        where status = 'pending' and coalesce(next_retry_at, scheduled_at) <= now()
        group by flag_id, environment
      ),
      needed as materialized (
        select count(*) as states
        from (select sum(due_count) over (order by first_due, flag_id, environment) - due_count as ahead from due) d
        where ahead < ${limit}
      ),
      locked_states as materialized (
        select s.flag_id, s.environment
        from flag_states s
        join due d on d.flag_id = s.flag_id and d.environment = s.environment
        order by d.first_due, s.flag_id, s.environment
        limit (select states from needed)
        for update of s skip locked
      ),
      stateless as materialized (
        select d.flag_id, d.environment from due d
        where not exists (
          select 1 from flag_states s where s.flag_id = d.flag_id and s.environment = d.environment)
      )
      select f.id
      from flag_schedules f
      where f.status = 'pending' and coalesce(f.next_retry_at, f.scheduled_at) <= now()
        and (exists (select 1 from locked_states l where l.flag_id = f.flag_id and l.environment = f.environment)
          or exists (select 1 from stateless o
                     where o.flag_id is not distinct from f.flag_id and o.environment = f.environment))
      order by coalesce(f.next_retry_at, f.scheduled_at), f.created_at
      limit ${limit}
      for update of f`),
  );
  if (claimed.length === 0) return [];
  return tx
    .select()
    .from(flagSchedules)
    .where(
      inArray(
        flagSchedules.id,
        claimed.map((row) => row.id),
      ),
    )
    .orderBy(asc(dueAt), asc(flagSchedules.createdAt));
}
