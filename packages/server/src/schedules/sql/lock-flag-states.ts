import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';

/**
 * The first step of the lock order (flag state, then schedules; see claim-due.ts) for whoever changes pending
 * schedules besides the worker: locks the flag states the schedules belong to, in (flag, environment) order. Waits
 * while a worker applies them; afterwards they are no longer pending.
 */
export async function lockFlagStatesOf(tx: Tx, schedules: { id: string } | { flagId: string }): Promise<void> {
  await tx.execute(
    'id' in schedules
      ? sql`
          select 1 from flag_states s
          join flag_schedules f on f.flag_id = s.flag_id and f.environment = s.environment
          where f.id = ${schedules.id}
          order by s.flag_id, s.environment
          for update of s`
      : sql`
          select 1 from flag_states
          where flag_id = ${schedules.flagId}
          order by flag_id, environment
          for update`,
  );
}
