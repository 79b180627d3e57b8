import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchedulePage } from '@flagline/core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { type Database, type Db, openDatabase } from '../packages/server/src/db/client';
import { runMigrations } from '../packages/server/src/db/migrate';
import { createFlag } from '../packages/server/src/flags/flag-service';
import { root, startFlagline, writeResult } from './lib';

/**
 * Scheduled changes: how late they are applied (10,000 spread over 60 s) and how fast a backlog drains (10,000 due at
 * once) — on PostgreSQL with two `flagline worker` processes, and on the embedded database with the worker inside
 * `flagline serve`.
 */

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghij';
const FLAGS = 100;
const SPREAD = { schedules: 10_000, overMs: 60_000 };
const DRAIN = { schedules: 10_000 };
const WORKERS = 2;
const TARGET = { p99LatenessMs: 250, postgresDrainPerSecond: 1_000 };
const flaglineBin = join(root, 'packages/server/bin/flagline.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Load average samples while the benchmark runs: the machine may be shared, and timings depend on it. */
export class LoadSampler {
  private readonly samples: number[] = [];
  private readonly timer = setInterval(() => this.samples.push(loadavg()[0] ?? 0), 5_000);
  constructor() {
    this.samples.push(loadavg()[0] ?? 0);
    this.timer.unref();
  }
  stop() {
    clearInterval(this.timer);
    this.samples.push(loadavg()[0] ?? 0);
    return {
      loadAverage1m: {
        min: round(Math.min(...this.samples), 2),
        mean: round(this.samples.reduce((a, b) => a + b, 0) / this.samples.length, 2),
        max: round(Math.max(...this.samples), 2),
      },
    };
  }
}

export interface Lateness {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
}

export function latenessOf(samplesMs: number[]): Lateness {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return { p50Ms: round(at(50)), p99Ms: round(at(99)), maxMs: round(at(100)), minMs: round(sorted[0] ?? Number.NaN) };
}

export function drainOf(dueAt: number, appliedAts: number[]) {
  const last = Math.max(...appliedAts);
  const first = Math.min(...appliedAts);
  return {
    firstAppliedAfterMs: round(first - dueAt),
    lastAppliedAfterMs: round(last - dueAt),
    schedulesPerSecond: Math.round(appliedAts.length / ((last - dueAt) / 1000)),
  };
}

export const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export type Flags = { id: string; key: string }[];
const flagKey = (i: number) => `bench-flag-${String(i).padStart(3, '0')}`;

/** Migrates and creates the flags the way the API does (audited, a state per environment). */
export async function setUp(database: Database, databaseUrl?: string): Promise<Flags> {
  await runMigrations(database, databaseUrl);
  const deps = { db: database.db, logger: pino({ level: 'silent' }) };
  const context = { actor: { type: 'system' as const, id: 'bench', email: null }, requestId: null };
  for (let i = 0; i < FLAGS; i++) await createFlag(deps, context, { key: flagKey(i) }, 'production');
  return rowsOf<{ id: string; key: string }>(await database.db.execute(sql`select id, key from flags order by key`));
}

/**
 * Inserts schedules with one statement, then notifies the workers as creating them through the API does. Creation
 * times are distinct (1 µs apart), so due order, then creation order, is a total order per flag.
 */
async function insertSchedules(db: Db, flags: Flags, count: number, scheduledAt: (i: number) => Date): Promise<void> {
  const rows = JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      flag_id: flags[i % flags.length]?.id,
      flag_key: flags[i % flags.length]?.key,
      scheduled_at: scheduledAt(i).toISOString(),
      n: i,
    })),
  );
  await db.execute(sql`
    insert into flag_schedules (flag_id, flag_key, environment, scheduled_at, created_at, updated_at, updates)
    select flag_id, flag_key, 'production', scheduled_at, now() + n * interval '1 microsecond',
           now() + n * interval '1 microsecond', jsonb_build_object('rolloutPercentage', n % 101)
    from jsonb_to_recordset(${rows}::jsonb) as t(flag_id uuid, flag_key text, scheduled_at timestamptz, n integer)`);
  await db.execute(sql`select pg_notify('flagline_schedules', '')`);
}

/** appliedAt and scheduledAt (ms since the epoch) of every schedule due in [from, to]; all must have been applied. */
export async function appliedTimes(db: Db, from: Date, to: Date, expected: number) {
  const rows = rowsOf<{ scheduled: string; applied: string | null; status: string }>(
    await db.execute(sql`
      select extract(epoch from scheduled_at) * 1000 as scheduled, extract(epoch from applied_at) * 1000 as applied,
             status
      from flag_schedules where scheduled_at >= ${from.toISOString()}::timestamptz
        and scheduled_at <= ${to.toISOString()}::timestamptz`),
  );
  const notApplied = rows.filter((row) => row.status !== 'applied' || row.applied === null).length;
  if (rows.length !== expected || notApplied > 0) {
    throw new Error(`expected ${expected} applied schedules, found ${rows.length} of which ${notApplied} not applied`);
  }
  return rows.map((row) => ({ scheduled: Number(row.scheduled), applied: Number(row.applied) }));
}

const spreadAt = (start: number) => (i: number) => new Date(start + (i * SPREAD.overMs) / SPREAD.schedules);

/**
 * `count` `flagline worker` processes on `databaseUrl` (built JS), returned once each listens for schedules; `nodeArgs`
 * go to node itself (a CPU profile, say).
 */
export async function startWorkers(
  db: Db,
  databaseUrl: string,
  count: number,
  nodeArgs: string[] = [],
): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, () =>
    spawn(process.execPath, [...nodeArgs, flaglineBin, 'worker'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  try {
    await waitFor(`${count} workers listening`, 120_000, async () => {
      const [row] = rowsOf<{ n: number }>(
        await db.execute(sql`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and query ilike 'listen "flagline_schedules"%'`),
      );
      return (row?.n ?? 0) >= count;
    });
  } catch (error) {
    await stopWorkers(workers);
    throw error;
  }
  return workers;
}

/** SIGTERM, then waits for every worker to exit (a worker with a CPU profile writes it on the way out). */
export async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(
    workers.map((worker) => (worker.exitCode === null ? new Promise((r) => worker.once('exit', r)) : undefined)),
  );
}

// ── PostgreSQL: two `flagline worker` processes; the bench inserts schedules with SQL while they run ──

async function benchPostgres() {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `flagline_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = await openDatabase({ databaseUrl, poolSize: 2 });
  const { db } = database;
  const workers: ChildProcess[] = [];
  try {
    const flags = await setUp(database, databaseUrl);
    workers.push(...(await startWorkers(db, databaseUrl, WORKERS)));
    const nothingPending = async () =>
      (rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from flag_schedules where status = 'pending'`),
      )[0]?.n ?? 0) === 0;

    process.stdout.write(`postgres: ${SPREAD.schedules} schedules over ${SPREAD.overMs / 1000} s…\n`);
    const start = Date.now() + 3_000;
    await insertSchedules(db, flags, SPREAD.schedules, spreadAt(start));
    await waitFor('the spread schedules', SPREAD.overMs + 120_000, nothingPending);
    const spread = await appliedTimes(db, new Date(start), new Date(start + SPREAD.overMs), SPREAD.schedules);

    process.stdout.write(`postgres: ${DRAIN.schedules} schedules due at once…\n`);
    const dueAt = Date.now() + 3_000;
    await insertSchedules(db, flags, DRAIN.schedules, () => new Date(dueAt));
    await waitFor('the backlog', 180_000, nothingPending);
    const backlog = await appliedTimes(db, new Date(dueAt), new Date(dueAt), DRAIN.schedules);
    return {
      setup:
        `PostgreSQL, ${WORKERS} flagline worker processes, ${FLAGS} flags, batch size ${process.env.SCHEDULER_BATCH_SIZE ?? 100}; ` +
        'schedules inserted with SQL (then NOTIFY, as the API does) while the workers run',
      lateness: latenessOf(spread.map((s) => s.applied - s.scheduled)),
      drain: drainOf(
        dueAt,
        backlog.map((s) => s.applied),
      ),
    };
  } finally {
    await stopWorkers(workers);
    await database.close();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  }
}

// ── Embedded (PGlite): one process may open the data dir. The bench inserts schedules while `serve` is stopped,
// then starts it to apply them with its in-process worker, and reads the results after stopping it again. ──

async function apiGet<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path} → ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function benchEmbedded() {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagline-bench-schedules-'));
  const offline = async <T>(work: (db: Db) => Promise<T>): Promise<T> => {
    const database = await openDatabase({ dataDir });
    try {
      return await work(database.db);
    } finally {
      await database.close();
    }
  };
  /** Runs serve until nothing due in [from, to] is pending; it must be up before `from`, or lateness includes startup. */
  const serveUntilApplied = async (from: Date, to: Date, timeoutMs: number) => {
    const server = await startFlagline({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      if (Date.now() > from.getTime() - 500) {
        throw new Error('flagline serve came up after the first schedule was due (is the machine very busy?)');
      }
      const query = new URLSearchParams({ status: 'pending', from: from.toISOString(), to: to.toISOString() });
      await waitFor('the schedules to be applied', timeoutMs, async () => {
        await sleep(400);
        // A reused keep-alive socket the server has just closed fails the request: ask again on the next round.
        const page = await apiGet<SchedulePage>(server.url, `/api/admin/schedules?${query}&limit=1`).catch(() => null);
        return page?.items.length === 0;
      });
    } finally {
      await server.stop();
    }
  };
  try {
    const database = await openDatabase({ dataDir });
    let flags: Flags;
    try {
      flags = await setUp(database);
    } finally {
      await database.close();
    }

    // `serve` must be up (its worker asleep) before the first schedule is due: time one start to know how far ahead.
    const started = Date.now();
    await (await startFlagline({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN })).stop();
    const lead = Math.max(10_000, 2 * (Date.now() - started) + 5_000);

    process.stdout.write(`embedded: ${SPREAD.schedules} schedules over ${SPREAD.overMs / 1000} s…\n`);
    const start = Date.now() + lead;
    await offline((db) => insertSchedules(db, flags, SPREAD.schedules, spreadAt(start)));
    const spreadEnd = new Date(start + SPREAD.overMs);
    await serveUntilApplied(new Date(start), new Date(spreadEnd.getTime() + 1), SPREAD.overMs + 180_000);
    const spread = await offline((db) => appliedTimes(db, new Date(start), spreadEnd, SPREAD.schedules));

    process.stdout.write(`embedded: ${DRAIN.schedules} schedules due at once…\n`);
    const dueAt = new Date(Date.now() + lead);
    await offline((db) => insertSchedules(db, flags, DRAIN.schedules, () => dueAt));
    await serveUntilApplied(dueAt, new Date(dueAt.getTime() + 1), 300_000);
    const backlog = await offline((db) => appliedTimes(db, dueAt, dueAt, DRAIN.schedules));
    return {
      setup:
        `embedded PGlite, the worker inside flagline serve, ${FLAGS} flags, batch size ${process.env.SCHEDULER_BATCH_SIZE ?? 100}; ` +
        'schedules inserted with SQL while serve was stopped (one process per data dir)',
      lateness: latenessOf(spread.map((s) => s.applied - s.scheduled)),
      drain: drainOf(
        dueAt.getTime(),
        backlog.map((s) => s.applied),
      ),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchSchedules(): Promise<void> {
  const load = new LoadSampler();
  const only = process.env.BENCH_SCHEDULES_ONLY; // 'postgres' or 'embedded' to run one side while profiling
  const postgres = only === 'embedded' ? null : await benchPostgres();
  const embedded = only === 'postgres' ? null : await benchEmbedded();
  const summary = {
    scenario:
      `lateness (appliedAt − scheduledAt) of ${SPREAD.schedules} schedules spread over ${SPREAD.overMs / 1000} s; ` +
      `drain rate of ${DRAIN.schedules} schedules due at once (count ÷ (last appliedAt − due time))`,
    postgres,
    embedded,
    machineLoad: load.stop(),
    target: TARGET,
    meetsTarget: {
      postgresLateness: postgres ? postgres.lateness.p99Ms <= TARGET.p99LatenessMs : null,
      postgresDrain: postgres ? postgres.drain.schedulesPerSecond >= TARGET.postgresDrainPerSecond : null,
      embeddedLateness: embedded ? embedded.lateness.p99Ms <= TARGET.p99LatenessMs : null,
    },
  };
  const path = writeResult('schedules', summary);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
}
