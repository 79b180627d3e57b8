import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/verify';
import { openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { createFlag } from '../../src/flags/flag-service';
import { sealAudit } from '../helpers/audit';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { type FlaglineProcess, killAllFlaglines, spawnFlagline } from '../helpers/processes';

/**
 * Recurring schedules under four real `flagline worker` processes on one PostgreSQL, one SIGKILLed every few hundred
 * ms: every occurrence is applied once or skipped (after a gap, only the latest missed one applies), never twice.
 *
 * The API takes five-field crons (minutes); to see many occurrences in seconds, the rows are inserted directly with
 * a six-field cron (croner's leading seconds field), which the same occurrence code reads.
 */

const ENVIRONMENT = 'production';
const FLAGS = 10;
const PER_FLAG = 3;
const COUNT = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAllFlaglines();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe.each(postgresBackends())('recurring schedules under worker processes on PostgreSQL (%s)', () => {
  it('4 workers, SIGKILLed mid-run: each occurrence applied at most once, all accounted for, then completed', async () => {
    const created = await createPostgresDatabase();
    const database = await openDatabase({ databaseUrl: created.url, poolSize: 2 });
    const pool = new pg.Pool({ connectionString: created.url, max: 2, application_name: 'flagline-test' });
    cleanups.push(async () => {
      await pool.end();
      await database.close();
      await created.drop();
    });
    await runMigrations(database, created.url);
    const deps = { db: database.db, logger: pino({ level: 'silent' }) };
    const context = { actor: { type: 'system' as const, id: 'test-setup', email: null }, requestId: null };
    const ids: string[] = [];
    const flagIds: string[] = [];
    const flagKeys: string[] = [];
    for (let i = 0; i < FLAGS; i++) {
      const key = `recurring-flag-${i}`;
      await createFlag(deps, context, { key }, ENVIRONMENT);
      const { rows } = await pool.query<{ id: string }>('select id from flags where key = $1', [key]);
      for (let j = 0; j < PER_FLAG; j++) {
        ids.push(randomUUID());
        flagIds.push(rows[0]?.id ?? '');
        flagKeys.push(key);
      }
    }
    // Every second from a whole second a few seconds ahead, while the workers start.
    const first = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
    const recurrence = { kind: 'cron', cron: '* * * * * *', timeZone: 'Europe/Berlin', count: COUNT };
    await pool.query(
      `insert into flag_schedules (id, flag_id, flag_key, environment, scheduled_at, updates, recurrence)
       select id, flag_id, flag_key, $1, $2, jsonb_build_object('rolloutPercentage', n % 101), $3
       from unnest($4::uuid[], $5::uuid[], $6::text[]) with ordinality as t(id, flag_id, flag_key, n)`,
      [ENVIRONMENT, first.toISOString(), JSON.stringify(recurrence), ids, flagIds, flagKeys],
    );

    const start = () =>
      spawnFlagline(['worker'], {
        LOG_LEVEL: 'warn',
        SCHEDULER_POLL_MS: '1000',
        SCHEDULER_BATCH_SIZE: '10',
        SCHEDULE_RETRY_BASE_MS: '100',
        SCHEDULE_RETRY_JITTER_MS: '50',
        DATABASE_URL: created.url,
      });
    let workers = Array.from({ length: 4 }, start);
    const all = [...workers];
    const killed = new Set<FlaglineProcess>();
    const counts = async () =>
      Object.fromEntries(
        (
          await pool.query<{ status: string; n: number }>(
            'select status, count(*)::int as n from flag_schedules group by status',
          )
        ).rows.map((row) => [row.status, row.n]),
      ) as Record<string, number>;
    try {
      const started = Date.now();
      while ((await pool.query('select 1 from flag_schedules where occurrence_count > 0 limit 1')).rowCount === 0) {
        if (Date.now() - started > 90_000) throw new Error('no occurrence applied in 90 s');
        await sleep(50);
      }
      let kills = 0;
      for (let round = 0; round < 20 && (await counts()).pending; round++) {
        const victim = workers[randomInt(workers.length)] as FlaglineProcess;
        killed.add(victim);
        expect((await victim.stop('SIGKILL', 5_000)).signal).toBe('SIGKILL');
        kills++;
        const replacement = start();
        all.push(replacement);
        workers = [...workers.filter((w) => w !== victim), replacement];
        await sleep(400 + randomInt(300));
      }
      expect(kills, 'the run ended before several workers could be killed').toBeGreaterThanOrEqual(3);
      const deadline = Date.now() + 90_000;
      while ((await counts()).pending) {
        if (Date.now() > deadline) throw new Error(`still pending: ${JSON.stringify(await counts())}`);
        await sleep(200);
      }
      expect(all.filter((w) => w.hasExited() && !killed.has(w)).map((w) => w.pid)).toEqual([]);
    } finally {
      await Promise.all(all.map((w) => w.stop('SIGKILL', 5_000)));
    }

    expect(await counts()).toEqual({ completed: ids.length });
    const rows = await pool.query<{ occurrence_count: number; n: number }>(
      'select occurrence_count, count(*)::int as n from flag_schedules group by occurrence_count',
    );
    expect(rows.rows).toEqual([{ occurrence_count: COUNT, n: ids.length }]);

    const events = await pool.query<{
      schedule_id: string;
      flag_key: string;
      occurrence_at: string;
      skipped: number;
      version: number;
    }>(
      `select schedule_id, flag_key, data->>'occurrenceAt' as occurrence_at,
              (data->>'skippedOccurrences')::int as skipped, (after->>'version')::int as version
       from audit_events where type = 'flag_schedule.applied' order by id`,
    );
    const problems: string[] = [];
    const bySchedule = new Map<string, typeof events.rows>();
    const byFlag = new Map<string, number[]>();
    for (const event of events.rows) {
      bySchedule.set(event.schedule_id, [...(bySchedule.get(event.schedule_id) ?? []), event]);
      byFlag.set(event.flag_key, [...(byFlag.get(event.flag_key) ?? []), event.version]);
    }
    for (const id of ids) {
      const applied = bySchedule.get(id) ?? [];
      const times = applied.map((e) => new Date(e.occurrence_at).getTime());
      if (new Set(times).size !== times.length) problems.push(`${id}: an occurrence applied twice`);
      if (times.some((time, i) => i > 0 && time <= (times[i - 1] as number))) problems.push(`${id}: out of order`);
      // Each applied event accounts for itself and the occurrences it skipped: together exactly COUNT.
      const accounted = applied.reduce((sum, e) => sum + 1 + e.skipped, 0);
      if (accounted !== COUNT) problems.push(`${id}: ${accounted} occurrences accounted for, expected ${COUNT}`);
    }
    for (const [key, versions] of byFlag) {
      if (versions.join() !== versions.map((_, i) => i + 2).join()) problems.push(`${key}: versions ${versions}`);
    }
    expect(problems).toEqual([]);
    // Occurrences were really applied again and again under the kills, not just the last one of each.
    expect(events.rows.length).toBeGreaterThan(ids.length * 2);

    const { rows: total } = await pool.query<{ n: number }>('select count(*)::int as n from audit_events');
    await sealAudit(database);
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: total[0]?.n, unsealed: 0 });
  }, 180_000);
});
