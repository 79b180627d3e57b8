import { sql } from 'drizzle-orm';
import { openDatabase } from '../../packages/server/src/db/client';
import { runMigrations } from '../../packages/server/src/db/migrate';
import { startFlagline } from '../lib';
import { appliedTimes, drainOf, startWorkers, stopWorkers, waitFor } from '../schedules';
import { ADMIN_TOKEN, createBenchDatabase, log, rowsOf, summary } from './common';
import { cpuAccount } from './cpu';
import { profiledArgs, summariseProfiles } from './profile';

const SCHEDULE_FLAGS = 100;
const SCHEDULES_CREATED = 6_000;
export const SCHEDULE_CLIENTS = 20;
export const DRAIN_WORKERS = 2;
/** BENCH_AUDIT_PROFILE=0 runs the server and workers without V8's CPU profiler (a few % faster, no breakdown). */
const PROFILE = process.env.BENCH_AUDIT_PROFILE !== '0';

/**
 * Schedules through the API while every change is audited: 20 clients create schedules (`POST
 * /api/admin/flags/:key/schedule`, keep-alive, each waiting for its answer) against one `flagline serve`; then two
 * `flagline worker`s (bench/schedules.ts starts them) drain them all due at once (count ÷ (last appliedAt − due
 * time)), each application audited and sealed. A database of its own, so the million events do not weigh on it. Each
 * phase records where the CPU went (cpu.ts) and, unless BENCH_AUDIT_PROFILE=0, a CPU profile of the Node side.
 */
export async function benchSchedulesThroughApi(adminUrl: string) {
  const bench = await createBenchDatabase(adminUrl, 'flagline_bench_audit_schedules');
  const { databaseUrl, name } = bench;
  const database = await openDatabase({ databaseUrl, poolSize: 2 });
  let workers: Awaited<ReturnType<typeof startWorkers>> = [];
  let server: Awaited<ReturnType<typeof startFlagline>> | undefined;
  try {
    await runMigrations(database, databaseUrl);
    const serverProfile = PROFILE ? profiledArgs() : undefined;
    server = await startFlagline(
      {
        DATABASE_URL: databaseUrl,
        FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
        SCHEDULER_ENABLED: 'false',
      },
      serverProfile?.args,
    );
    const api = server.url;
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    const flagKeys = Array.from({ length: SCHEDULE_FLAGS }, (_, i) => `sched-${String(i).padStart(3, '0')}`);
    for (const key of flagKeys) await post('/api/admin/flags', { key });
    // Far enough ahead that nothing is applied while they are created; the drain moves them all to one instant.
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    let next = 0;
    const latencies: number[] = [];
    const cpu = await cpuAccount(adminUrl, name, { bench: process.pid, server: server.child.pid });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SCHEDULE_CLIENTS }, async () => {
        for (let i = next++; i < SCHEDULES_CREATED; i = next++) {
          const key = flagKeys[i % SCHEDULE_FLAGS] as string;
          const sent = performance.now();
          await post(`/api/admin/flags/${key}/schedule?environment=production`, {
            scheduledAt,
            updates: { enabled: i % 2 === 0, rolloutPercentage: i % 101 },
          });
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const creationSeconds = (performance.now() - started) / 1000;
    const creationCpu = await cpu.stop();
    await server.stop();
    server = undefined;
    const creation = {
      schedules: SCHEDULES_CREATED,
      clients: SCHEDULE_CLIENTS,
      seconds: Math.round(creationSeconds * 10) / 10,
      perSecond: Math.round(SCHEDULES_CREATED / creationSeconds),
      latencyMs: summary(latencies),
      cpu: creationCpu,
      serverProfile: serverProfile ? summariseProfiles(serverProfile.dir) : null,
    };
    log(`schedule creation: ${creation.perSecond}/s, cpu ${JSON.stringify(creationCpu)}`);

    const workerProfile = PROFILE ? profiledArgs() : undefined;
    workers = await startWorkers(database.db, databaseUrl, DRAIN_WORKERS, workerProfile?.args);
    const dueAt = Date.now() + 2_000;
    await database.db.execute(
      sql`update flag_schedules set scheduled_at = ${new Date(dueAt).toISOString()}::timestamptz`,
    );
    await database.db.execute(sql`select pg_notify('flagline_schedules', '')`);
    // Accounted from the due time: before it the workers only wait.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
    const [first, second] = workers;
    const drainCpu = await cpuAccount(adminUrl, name, { worker1: first?.pid, worker2: second?.pid });
    await waitFor('the drain', 300_000, async () => {
      const [row] = rowsOf<{ n: number }>(
        await database.db.execute(sql`select count(*)::int as n from flag_schedules where status = 'pending'`),
      );
      return row?.n === 0;
    });
    const drainSplit = await drainCpu.stop();
    await stopWorkers(workers);
    workers = [];
    const applied = await appliedTimes(database.db, new Date(dueAt), new Date(dueAt), SCHEDULES_CREATED);
    const drained = drainOf(
      dueAt,
      applied.map((s) => s.applied),
    );
    const drain = {
      schedules: applied.length,
      workers: DRAIN_WORKERS,
      ...drained,
      perSecond: drained.schedulesPerSecond,
      cpu: drainSplit,
      workerProfile: workerProfile ? summariseProfiles(workerProfile.dir) : null,
    };
    log(`drain: ${drain.perSecond}/s, cpu ${JSON.stringify(drainSplit)}`);
    return { creation, drain };
  } finally {
    await server?.stop();
    await stopWorkers(workers);
    await database.close();
    await bench.drop();
  }
}
