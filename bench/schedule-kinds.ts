import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { type Db, openDatabase } from '../packages/server/src/db/client';
import { createDatabase, writeResult } from './lib';
import { type Flags, LoadSampler, latenessOf, rowsOf, setUp, startWorkers, stopWorkers, waitFor } from './schedules';

/**
 * Lateness of the schedule kinds beyond the one-off (`npm run bench -- schedules` measures those): occurrences of
 * recurring series and the steps of rollout plans, on PostgreSQL with two `flagline worker` processes, measured the
 * way the one-off bench measures them — due times spread over a minute, lateness = applied − due.
 *
 * Recurring rows are inserted with SQL as the API stores them (the next occurrence in `scheduled_at`), each due at
 * its own instant in the minute; the cron is yearly, so each series has exactly one occurrence inside the run and
 * the measurement is not a burst of series due on the same minute boundary (that is a drain, measured separately).
 * An occurrence's lateness is its `flag_schedule.applied` event's `appliedAt − occurrenceAt`.
 */

const SERIES = 2_000;
const OVER_MS = 60_000;
const WORKERS = 2;
const TARGET = { p99LatenessMs: 50 };
const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'];
/** Rollout plans: PLANS plans of PLAN_STEPS steps each, the steps of all plans interleaved over the run. */
const PLANS = 400;
const PLAN_STEPS = 5;

/** `count` recurring series, half cron and half window, whose pending occurrence `dueAt(i)` is spread over the run. */
async function insertRecurring(db: Db, flags: Flags, count: number, dueAt: (i: number) => Date): Promise<void> {
  const rows = JSON.stringify(
    Array.from({ length: count }, (_, i) => {
      const timeZone = TIME_ZONES[i % TIME_ZONES.length];
      const recurrence =
        i % 2 === 0
          ? { kind: 'cron', cron: '0 0 1 1 *', timeZone }
          : {
              kind: 'window',
              on: '09:00',
              off: '17:00',
              days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
              timeZone,
              offUpdates: { enabled: false },
            };
      const flag = flags[i % flags.length];
      return { flag_id: flag?.id, flag_key: flag?.key, scheduled_at: dueAt(i).toISOString(), recurrence, n: i };
    }),
  );
  await db.execute(sql`
    insert into flag_schedules (flag_id, flag_key, environment, scheduled_at, created_at, updated_at, updates,
                                recurrence)
    select flag_id, flag_key, 'production', scheduled_at, now() + n * interval '1 microsecond',
           now() + n * interval '1 microsecond', jsonb_build_object('enabled', true, 'rolloutPercentage', n % 101),
           recurrence
    from jsonb_to_recordset(${rows}::jsonb)
      as t(flag_id uuid, flag_key text, scheduled_at timestamptz, recurrence jsonb, n integer)`);
  await db.execute(sql`select pg_notify('flagline_schedules', '')`);
}

/**
 * `plans` rollout plans of `steps` steps, inserted as the API stores them (a rollout_plans row, its steps schedules
 * with plan_id and plan_step); step s of plan p is due at `dueAt(p + s · plans)`, so every plan's steps are spread
 * over the whole run in step order and the steps of different plans interleave.
 */
async function insertPlans(db: Db, flags: Flags, plans: number, steps: number, dueAt: (k: number) => Date) {
  const planRows = Array.from({ length: plans }, (_, n) => {
    const flag = flags[n % flags.length];
    return { flag_id: flag?.id, flag_key: flag?.key, n };
  });
  const stepRows = planRows.flatMap((plan) =>
    Array.from({ length: steps }, (_, step) => {
      const k = plan.n + step * plans;
      return { ...plan, step, k, scheduled_at: dueAt(k).toISOString() };
    }),
  );
  await db.execute(sql`
    with plans as (
      insert into rollout_plans (flag_id, flag_key, environment, name)
      select flag_id, flag_key, 'production', 'bench-' || n
      from jsonb_to_recordset(${JSON.stringify(planRows)}::jsonb) as t(flag_id uuid, flag_key text, n integer)
      returning id, name)
    insert into flag_schedules (flag_id, flag_key, environment, scheduled_at, created_at, updated_at, updates,
                                plan_id, plan_step)
    select t.flag_id, t.flag_key, 'production', t.scheduled_at, now() + t.k * interval '1 microsecond',
           now() + t.k * interval '1 microsecond', jsonb_build_object('rolloutPercentage', t.k % 101), p.id, t.step
    from jsonb_to_recordset(${JSON.stringify(stepRows)}::jsonb)
      as t(flag_id uuid, flag_key text, scheduled_at timestamptz, n integer, step integer, k integer)
    join plans p on p.name = 'bench-' || t.n`);
  await db.execute(sql`select pg_notify('flagline_schedules', '')`);
}

/** Every plan step applied: its due and applied instants (ms since the epoch), and how many plans completed. */
async function planStepsApplied(db: Db) {
  const steps = rowsOf<{ due: string; applied: string }>(
    await db.execute(sql`
      select extract(epoch from s.scheduled_at) * 1000 as due,
             extract(epoch from (e.data->>'appliedAt')::timestamptz) * 1000 as applied
      from flag_schedules s
      join audit_events e on e.schedule_id = s.id::text and e.type = 'flag_schedule.applied'
      where s.plan_id is not null`),
  ).map((row) => ({ due: Number(row.due), applied: Number(row.applied) }));
  const [completed] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from rollout_plans where status = 'completed'`),
  );
  return { steps, completed: completed?.n ?? 0 };
}

/** Every recurring occurrence applied since `since`: its due and applied instants (ms since the epoch). */
async function occurrencesApplied(db: Db, since: Date) {
  return rowsOf<{ due: string; applied: string }>(
    await db.execute(sql`
      select extract(epoch from (data->>'occurrenceAt')::timestamptz) * 1000 as due,
             extract(epoch from (data->>'appliedAt')::timestamptz) * 1000 as applied
      from audit_events
      where type = 'flag_schedule.applied' and data ? 'occurrenceAt'
        and (data->>'occurrenceAt')::timestamptz >= ${since.toISOString()}::timestamptz`),
  ).map((row) => ({ due: Number(row.due), applied: Number(row.applied) }));
}

export async function benchScheduleKinds(): Promise<void> {
  const load = new LoadSampler();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const target = await createDatabase(adminUrl, 'flagline_bench_kinds');
  const database = await openDatabase({ databaseUrl: target.url, poolSize: 2 });
  const { db } = database;
  const workers: ChildProcess[] = [];
  try {
    const flags = await setUp(database, target.url);
    workers.push(...(await startWorkers(db, target.url, WORKERS)));

    process.stdout.write(`recurring: ${SERIES} series, one occurrence each, spread over ${OVER_MS / 1000} s…\n`);
    const start = Date.now() + 3_000;
    await insertRecurring(db, flags, SERIES, (i) => new Date(start + (i * OVER_MS) / SERIES));
    let applied: { due: number; applied: number }[] = [];
    await waitFor('the recurring occurrences', OVER_MS + 120_000, async () => {
      applied = await occurrencesApplied(db, new Date(start));
      return applied.length >= SERIES;
    });
    if (applied.length !== SERIES)
      throw new Error(`expected ${SERIES} occurrences applied once, found ${applied.length}`);
    const recurring = latenessOf(applied.map((occurrence) => occurrence.applied - occurrence.due));

    const stepCount = PLANS * PLAN_STEPS;
    process.stdout.write(`plans: ${PLANS} plans of ${PLAN_STEPS} steps, the steps spread over ${OVER_MS / 1000} s…\n`);
    const planStart = Date.now() + 3_000;
    await insertPlans(db, flags, PLANS, PLAN_STEPS, (k) => new Date(planStart + (k * OVER_MS) / stepCount));
    let planned: Awaited<ReturnType<typeof planStepsApplied>> = { steps: [], completed: 0 };
    await waitFor('the plan steps', OVER_MS + 120_000, async () => {
      planned = await planStepsApplied(db);
      return planned.steps.length >= stepCount && planned.completed >= PLANS;
    });
    if (planned.steps.length !== stepCount || planned.completed !== PLANS) {
      throw new Error(
        `expected ${stepCount} steps applied once and ${PLANS} plans completed, found ${planned.steps.length} and ${planned.completed}`,
      );
    }
    const steps = latenessOf(planned.steps.map((step) => step.applied - step.due));

    const summary = {
      scenario:
        `lateness (appliedAt − due time) on PostgreSQL with ${WORKERS} flagline worker processes, ${flags.length} flags: ` +
        `${SERIES} recurring series (half cron, half window, in ${TIME_ZONES.length} time zones) whose occurrences ` +
        `are spread over ${OVER_MS / 1000} s; then ${PLANS} rollout plans of ${PLAN_STEPS} steps, the steps spread over ` +
        `${OVER_MS / 1000} s`,
      recurringOccurrences: { occurrences: applied.length, lateness: recurring },
      planSteps: { steps: planned.steps.length, plansCompleted: planned.completed, lateness: steps },
      machineLoad: load.stop(),
      target: TARGET,
      meetsTarget: {
        recurringOccurrences: recurring.p99Ms <= TARGET.p99LatenessMs,
        planSteps: steps.p99Ms <= TARGET.p99LatenessMs,
      },
    };
    const path = writeResult('schedule-kinds', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    await stopWorkers(workers);
    await database.close();
    await target.drop();
  }
}
