import { withClient } from './checks';

/**
 * Rollout plans after a storm: each must be completed with one plan.completed event, every step applied once
 * (scheduleOutcomes checks the events of each step), and the steps' applied events recorded in step order.
 */
export async function planDisagreements(url: string): Promise<{ plans: number; steps: number; problems: string[] }> {
  return withClient(url, async (client) => {
    const rows = await client.query<{
      id: string;
      status: string;
      steps: number;
      applied: number;
      applied_events: number;
      in_order: boolean;
      completed_events: number;
    }>(
      `select p.id::text, p.status, count(s.id)::int as steps,
              count(s.id) filter (where s.status = 'applied')::int as applied,
              count(e.id)::int as applied_events,
              coalesce(array_agg(e.id order by s.plan_step) filter (where e.id is not null)
                = array_agg(e.id order by e.id) filter (where e.id is not null), true) as in_order,
              (select count(*)::int from audit_events c
               where c.type = 'plan.completed' and c.data->>'planId' = p.id::text) as completed_events
       from rollout_plans p
       join flag_schedules s on s.plan_id = p.id
       left join audit_events e on e.schedule_id = s.id::text and e.type = 'flag_schedule.applied'
       group by p.id`,
    );
    const problems = rows.rows
      .filter(
        (r) =>
          r.status !== 'completed' ||
          r.applied !== r.steps ||
          r.applied_events !== r.steps ||
          !r.in_order ||
          r.completed_events !== 1,
      )
      .map(
        (r) =>
          `${r.id} is ${r.status}: ${r.applied}/${r.steps} steps applied, ${r.applied_events} applied events${r.in_order ? '' : ' out of step order'}, ${r.completed_events} plan.completed events`,
      );
    return { plans: rows.rows.length, steps: rows.rows.reduce((n, r) => n + r.steps, 0), problems };
  });
}
