import { randomInt, randomUUID } from 'node:crypto';
import type { FlagView, Schedule } from '@flagline/core';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/verify';
import { type Database, openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { createFlag } from '../../src/flags/flag-service';
import { sealAudit } from '../helpers/audit';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { type FlaglineProcess, killAllFlaglines, runFlagline, spawnFlagline, startServe } from '../helpers/processes';

/**
 * The scheduler as real `flagline` processes on one PostgreSQL: several workers draining thousands of schedules
 * exactly once and in order, workers SIGKILLed mid-drain, the in-process worker of `serve`, and the one-shot run-due.
 */

const ADMIN_TOKEN = 'scheduler-processes-admin-token-0123456789';
const ENVIRONMENT = 'production';
const FLAGS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  url: string;
  database: Database;
  pool: pg.Pool;
  flags: { id: string; key: string }[];
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAllFlaglines();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** A fresh, migrated database with `flagCount` flags created the way the API creates them (audited). */
async function prepare(flagCount: number, label: string): Promise<Setup> {
  const created = await createPostgresDatabase();
  const database = await openDatabase({ databaseUrl: created.url, poolSize: 3 });
  // Named, so a test that cuts the database's connections can spare the test's own.
  const pool = new pg.Pool({ connectionString: created.url, max: 2, application_name: 'flagline-test' });
  cleanups.push(async () => {
    await pool.end();
    await database.close();
    await created.drop();
  });
  await runMigrations(database, created.url);
  const deps = { db: database.db, logger: pino({ level: 'silent' }) };
  const context = { actor: { type: 'system' as const, id: 'test-setup', email: null }, requestId: null };
  const flags: Setup['flags'] = [];
  for (let i = 0; i < flagCount; i++) {
    const key = `${label}-flag-${String(i).padStart(3, '0')}`;
    await createFlag(deps, context, { key }, ENVIRONMENT);
    const { rows } = await pool.query<{ id: string }>('select id from flags where key = $1', [key]);
    if (!rows[0]) throw new Error(`flag ${key} was not created`);
    flags.push({ id: rows[0].id, key });
  }
  return { url: created.url, database, pool, flags };
}

interface Planned {
  id: string;
  flagId: string;
  flagKey: string;
  scheduledAt: Date;
  createdAt: Date;
  rollout: number;
}

function shuffled(count: number): number[] {
  const values = Array.from({ length: count }, (_, i) => i);
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return values;
}

/**
 * `perFlag` schedules for each flag, due from `firstDue` over `spreadMs`. Within a flag every rollout value is
 * distinct (a shuffle, so the last-due value is not simply the largest), schedules come in pairs due at the same
 * instant, and creation times are shuffled too: only (scheduled_at, created_at) order says which one wins.
 */
function plan(flags: Setup['flags'], perFlag: number, firstDue: number, spreadMs: number): Planned[] {
  if (perFlag > 101) throw new Error('rollout values 0..100 cannot be distinct for more than 101 schedules');
  const pairs = Math.ceil(perFlag / 2);
  const stepMs = Math.max(1, Math.floor(spreadMs / pairs));
  const createdBase = Date.now() - 60_000;
  const planned: Planned[] = [];
  flags.forEach((flag, f) => {
    const rollouts = shuffled(perFlag);
    const creation = shuffled(perFlag);
    for (let j = 0; j < perFlag; j++) {
      planned.push({
        id: randomUUID(),
        flagId: flag.id,
        flagKey: flag.key,
        scheduledAt: new Date(firstDue + Math.floor(j / 2) * stepMs + (f % 7)),
        createdAt: new Date(createdBase + (creation[j] as number)),
        rollout: rollouts[j] as number,
      });
    }
  });
  return planned;
}

/** One statement for all of them, as a bulk import would (and no NOTIFY: the workers must find them on their own). */
async function insertSchedules(pool: pg.Pool, planned: Planned[]): Promise<void> {
  await pool.query(
    `insert into flag_schedules (id, flag_id, flag_key, environment, scheduled_at, created_at, updated_at, updates)
     select id, flag_id, flag_key, $1, scheduled_at, created_at, created_at, jsonb_build_object('rolloutPercentage', rollout)
     from unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::int[])
       as t(id, flag_id, flag_key, scheduled_at, created_at, rollout)`,
    [
      ENVIRONMENT,
      planned.map((p) => p.id),
      planned.map((p) => p.flagId),
      planned.map((p) => p.flagKey),
      planned.map((p) => p.scheduledAt.toISOString()),
      planned.map((p) => p.createdAt.toISOString()),
      planned.map((p) => p.rollout),
    ],
  );
}

async function countByStatus(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from flag_schedules group by status',
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

const tail = (text: string, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

function describeWorkers(workers: FlaglineProcess[]): string {
  return workers
    .map(
      (w) => `pid ${w.pid}${w.hasExited() ? ' (exited)' : ''}: ${tail(w.stderr() || w.stdout(), 5) || '(no output)'}`,
    )
    .join('\n');
}

/** Polls until nothing is pending; fails with the counts and the workers' last words after `timeoutMs`. */
async function waitUntilDrained(setup: Setup, workers: () => FlaglineProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await countByStatus(setup.pool);
    const pending = counts.pending ?? 0;
    if (pending === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `still ${pending} pending after ${timeoutMs} ms (${JSON.stringify(counts)}); workers:\n${describeWorkers(workers())}`,
      );
    }
    await sleep(200);
  }
}

const WORKER_ENV = {
  LOG_LEVEL: 'warn',
  SCHEDULER_POLL_MS: '1000',
  // A transient failure (a deadlock, say) must retry within the test, not in 2 minutes.
  SCHEDULE_RETRY_BASE_MS: '100',
  SCHEDULE_RETRY_JITTER_MS: '50',
};

const startWorker = (url: string, env: Record<string, string> = {}) =>
  spawnFlagline(['worker'], { ...WORKER_ENV, DATABASE_URL: url, ...env });

/**
 * Exactly once and in order: one `flag_schedule.applied` event per schedule; per flag the events follow due order
 * (scheduled_at, then created_at) with versions 2, 3, … (none skipped or doubled); the last-due value is what remains;
 * the audit hash chain verifies.
 */
async function expectAppliedExactlyOnceInOrder(setup: Setup, planned: Planned[]): Promise<void> {
  const { pool } = setup;
  expect(await countByStatus(pool)).toEqual({ applied: planned.length });

  const events = await pool.query<{ total: number; distinct_ids: number; other: number }>(
    `select count(*) filter (where type = 'flag_schedule.applied')::int as total,
            count(distinct schedule_id) filter (where type = 'flag_schedule.applied')::int as distinct_ids,
            count(*) filter (where type in ('flag_schedule.retrying', 'flag_schedule.failed'))::int as other
     from audit_events`,
  );
  expect(events.rows[0]).toEqual({ total: planned.length, distinct_ids: planned.length, other: 0 });

  const expectedOrder = new Map<string, Planned[]>();
  for (const p of planned) expectedOrder.set(p.flagKey, [...(expectedOrder.get(p.flagKey) ?? []), p]);
  for (const list of expectedOrder.values()) {
    list.sort(
      (a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime(),
    );
  }

  const applied = await pool.query<{ flag_key: string; schedule_id: string; version: number }>(
    `select flag_key, schedule_id, (after->>'version')::int as version
     from audit_events where type = 'flag_schedule.applied' order by id`,
  );
  const actualOrder = new Map<string, { id: string; version: number }[]>();
  for (const row of applied.rows) {
    actualOrder.set(row.flag_key, [
      ...(actualOrder.get(row.flag_key) ?? []),
      { id: row.schedule_id, version: row.version },
    ]);
  }

  const states = await pool.query<{ key: string; version: number; rollout_percentage: number }>(
    `select f.key, s.version, s.rollout_percentage
     from flag_states s join flags f on f.id = s.flag_id where s.environment = $1`,
    [ENVIRONMENT],
  );
  const stateByKey = new Map(states.rows.map((row) => [row.key, row]));

  const problems: string[] = [];
  for (const [key, expected] of expectedOrder) {
    const state = stateByKey.get(key);
    const last = expected.at(-1);
    if (state?.version !== 1 + expected.length) {
      problems.push(`${key}: version ${state?.version}, expected ${1 + expected.length}`);
    }
    if (state?.rollout_percentage !== last?.rollout) {
      problems.push(`${key}: rollout ${state?.rollout_percentage}, expected the last-due value ${last?.rollout}`);
    }
    const actual = actualOrder.get(key) ?? [];
    const expectedIds = expected.map((p) => p.id);
    const actualIds = actual.map((a) => a.id);
    if (actualIds.join() !== expectedIds.join()) {
      const at = actualIds.findIndex((id, i) => id !== expectedIds[i]);
      problems.push(`${key}: applied out of due order (first difference at position ${at} of ${expectedIds.length})`);
    }
    const versions = actual.map((a) => a.version);
    const expectedVersions = expected.map((_, i) => i + 2);
    if (versions.join() !== expectedVersions.join()) problems.push(`${key}: versions ${versions.join(',')}`);
  }
  expect(problems).toEqual([]);

  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from audit_events');
  // Workers SIGKILLed mid-drain may leave committed events unsealed: sealing them now must complete one chain (waiting
  // for a sealer still running in a worker, or for a transaction elsewhere on the server holding the horizon).
  await sealAudit(setup.database);
  expect(await verifyAuditChain(setup.database.db)).toMatchObject({
    ok: true,
    checked: rows[0]?.n,
    firstBrokenId: null,
    unsealed: 0,
  });
}

describe.each(postgresBackends())('scheduler processes on PostgreSQL (%s)', () => {
  it('4 flagline worker processes drain 5,000 schedules: each applied exactly once, in due order', async () => {
    const setup = await prepare(FLAGS, 'drain');
    const planned = plan(setup.flags, 100, Date.now(), 3_000);
    await insertSchedules(setup.pool, planned);
    const workers = Array.from({ length: 4 }, () => startWorker(setup.url));
    try {
      await waitUntilDrained(setup, () => workers, 90_000);
      const crashed = workers.filter((w) => w.hasExited());
      expect(
        crashed.map((w) => w.pid),
        `workers exited on their own:\n${describeWorkers(crashed)}`,
      ).toEqual([]);
      await expectAppliedExactlyOnceInOrder(setup, planned);
      // And they shut down cleanly when asked.
      const exits = await Promise.all(workers.map((w) => w.stop('SIGTERM', 10_000)));
      expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
    } finally {
      await Promise.all(workers.map((w) => w.stop('SIGKILL', 5_000)));
    }
  }, 150_000);

  it('SIGKILLing workers during a 2,000-schedule drain: nothing lost, nothing applied twice, nothing stuck', async () => {
    const setup = await prepare(FLAGS, 'crash');
    const planned = plan(setup.flags, 40, Date.now() - 2_000, 1_000);
    await insertSchedules(setup.pool, planned);
    // Small batches: many more transactions to be killed in the middle of, and a drain long enough to kill often.
    const start = () => startWorker(setup.url, { SCHEDULER_BATCH_SIZE: '10' });
    let workers = Array.from({ length: 4 }, start);
    const all = [...workers];
    const killed = new Set<FlaglineProcess>();
    try {
      // Start killing once the workers are really applying (starting one takes a few seconds on a busy machine).
      const started = Date.now();
      while ((await countByStatus(setup.pool)).applied === undefined) {
        if (Date.now() - started > 90_000) throw new Error(`no schedule applied in 90 s:\n${describeWorkers(all)}`);
        await sleep(50);
      }
      let killsMidDrain = 0;
      for (let round = 0; round < 12; round++) {
        const pending = (await countByStatus(setup.pool)).pending ?? 0;
        if (pending === 0) break;
        const victim = workers[randomInt(workers.length)] as FlaglineProcess;
        killed.add(victim);
        const exit = await victim.stop('SIGKILL', 5_000);
        expect(exit.signal).toBe('SIGKILL');
        killsMidDrain++;
        const replacement = start();
        all.push(replacement);
        workers = [...workers.filter((w) => w !== victim), replacement];
        await sleep(250 + randomInt(100));
      }
      expect(killsMidDrain, 'the drain ended before several workers could be killed').toBeGreaterThanOrEqual(3);
      await waitUntilDrained(setup, () => all, 90_000);
      const crashed = all.filter((w) => w.hasExited() && !killed.has(w));
      expect(
        crashed.map((w) => w.pid),
        `workers exited on their own:\n${describeWorkers(crashed)}`,
      ).toEqual([]);
      await expectAppliedExactlyOnceInOrder(setup, planned);
      // Nothing stuck: no session of the dead workers still holds a transaction open. (The live workers' sealers and
      // claims are between two statements of a short transaction now and then: only one idle that long is stuck.)
      const { rows } = await setup.pool.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and state like 'idle in transaction%'
           and state_change < now() - interval '2 seconds'`,
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      await Promise.all(all.map((w) => w.stop('SIGKILL', 5_000)));
    }
  }, 150_000);

  it('connections cut by the server mid-drain (as when PostgreSQL restarts): workers and serve stay up, nothing lost or doubled', async () => {
    const setup = await prepare(FLAGS, 'cut');
    const planned = plan(setup.flags, 20, Date.now() + 500, 2_000);
    await insertSchedules(setup.pool, planned);
    // Everything on the database but the test's own pool is terminated (FATAL 57P01, what a restart sends),
    // including connections checked out inside a transaction.
    const start = () => startWorker(setup.url, { SCHEDULER_BATCH_SIZE: '10' });
    const workers = [start(), start()];
    const server = await startServe({ DATABASE_URL: setup.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      const started = Date.now();
      while ((await countByStatus(setup.pool)).applied === undefined) {
        if (Date.now() - started > 90_000) throw new Error(`no schedule applied in 90 s:\n${describeWorkers(workers)}`);
        await sleep(50);
      }
      let terminated = 0;
      for (let round = 0; round < 8; round++) {
        const { rows } = await setup.pool.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = current_database() and application_name <> 'flagline-test' and pid <> pg_backend_pid()`,
        );
        terminated += rows[0]?.n ?? 0;
        await sleep(200);
      }
      expect(terminated, 'no connection was cut').toBeGreaterThan(8);
      await waitUntilDrained(setup, () => workers, 90_000);
      expect(
        [...workers, server.flagline].filter((p) => p.hasExited()).map((p) => p.pid),
        `processes exited:\n${describeWorkers(workers)}\nserve: ${tail(server.flagline.stderr())}`,
      ).toEqual([]);
      await expectAppliedExactlyOnceInOrder(setup, planned);
      const patched = await fetch(`${server.url}/api/admin/flags/${setup.flags[0]?.key}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'still taking changes' }),
      }).catch((error: unknown) => {
        const state = server.flagline.hasExited() ? 'exited' : 'running';
        const output = `stdout:\n${tail(server.flagline.stdout())}\nstderr:\n${tail(server.flagline.stderr())}`;
        throw new Error(`serve (${state}) did not answer the PATCH; ${output}`, {
          cause: error,
        });
      });
      expect(patched.status).toBe(200);
    } finally {
      await Promise.all([...workers, server.flagline].map((p) => p.stop('SIGKILL', 5_000)));
    }
  }, 150_000);

  it('flagline serve applies a schedule created over HTTP within 1 s of its time', async () => {
    const created = await createPostgresDatabase();
    cleanups.push(() => created.drop());
    const server = await startServe({ DATABASE_URL: created.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      const api = async <T>(method: string, path: string, body?: unknown) => {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        return { status: response.status, body: (await response.json()) as T };
      };
      expect((await api('POST', '/api/admin/flags', { key: 'served-flag' })).status).toBe(201);
      const scheduledAt = new Date(Date.now() + 1_000).toISOString();
      const created201 = await api<Schedule>('POST', '/api/admin/flags/served-flag/schedule', {
        scheduledAt,
        updates: { enabled: true, rolloutPercentage: 42 },
      });
      expect(created201.status).toBe(201);
      let schedule = created201.body;
      const deadline = Date.now() + 10_000;
      while (schedule.status === 'pending' && Date.now() < deadline) {
        await sleep(25);
        schedule = (await api<Schedule>('GET', `/api/admin/flags/served-flag/schedule/${schedule.id}`)).body;
      }
      expect(schedule.status, `not applied 9 s after it was due; stderr:\n${server.flagline.stderr()}`).toBe('applied');
      const lateness = Date.parse(schedule.appliedAt ?? '') - Date.parse(schedule.scheduledAt);
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThan(1_000);
      const flag = await api<FlagView>('GET', '/api/admin/flags/served-flag');
      expect(flag.body).toMatchObject({ enabled: true, rolloutPercentage: 42, version: 2 });
    } finally {
      await server.flagline.stop('SIGTERM', 10_000);
    }
  }, 60_000);

  it('flagline schedules run-due applies what is due, prints its JSON summary and exits 0', async () => {
    const setup = await prepare(2, 'once');
    const due = Date.now() - 5_000;
    await insertSchedules(setup.pool, plan(setup.flags, 3, due, 1_000));
    await setup.pool.query(
      `insert into flag_schedules (flag_id, flag_key, environment, scheduled_at, updates)
       values ($1, $2, $3, now() - interval '1 second', '{"rolloutPercentage": 500}')`,
      [setup.flags[0]?.id, setup.flags[0]?.key, ENVIRONMENT],
    );
    // Log lines share stdout (the failed schedule is logged at error level), flushed asynchronously, before or after
    // the summary: pick the one line that is the summary.
    const env = { DATABASE_URL: setup.url, LOG_LEVEL: 'warn' };
    const summaryIn = (stdout: string): unknown => {
      const summaries = stdout
        .trim()
        .split('\n')
        .map((line): unknown => JSON.parse(line))
        .filter((value) => typeof value === 'object' && value !== null && 'processed' in value);
      expect(summaries, stdout).toHaveLength(1);
      return summaries[0];
    };

    const first = await runFlagline(['schedules', 'run-due'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(summaryIn(first.stdout)).toEqual({
      processed: 7,
      applied: 6,
      retried: 0,
      failed: 1,
      durationMs: expect.any(Number),
    });
    expect(await countByStatus(setup.pool)).toEqual({ applied: 6, failed: 1 });

    const second = await runFlagline(['schedules', 'run-due'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(summaryIn(second.stdout)).toMatchObject({ processed: 0, applied: 0, retried: 0, failed: 0 });
  }, 60_000);
});

// Needs no PostgreSQL server (and keeps this file from being empty without one).
describe('flagline schedules run-due without a database', () => {
  it('exits 1, printing no summary, when the database is unreachable', async () => {
    const unreachable = await runFlagline(['schedules', 'run-due'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x',
      LOG_LEVEL: 'silent',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/^flagline: .*ECONNREFUSED/);
  }, 60_000);
});
