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

    const summary = {
      scenario:
        `lateness (appliedAt − due time) on PostgreSQL with ${WORKERS} flagline worker processes, ${flags.length} flags: ` +
        `${SERIES} recurring series (half cron, half window, in ${TIME_ZONES.length} time zones) whose occurrences ` +
        `are spread over ${OVER_MS / 1000} s`,
      recurringOccurrences: { occurrences: applied.length, lateness: recurring },
      machineLoad: load.stop(),
      target: TARGET,
      meetsTarget: { recurringOccurrences: recurring.p99Ms <= TARGET.p99LatenessMs },
    };
    const path = writeResult('schedule-kinds', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    await stopWorkers(workers);
    await database.close();
    await target.drop();
  }
}
