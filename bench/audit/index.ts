import type { AuditVerification } from '@flagline/core';
import pg from 'pg';
import { openDatabase } from '../../packages/server/src/db/client';
import { runMigrations } from '../../packages/server/src/db/migrate';
import { startFlagline, writeResult } from '../lib';
import { ADMIN_TOKEN, adminGet, createBenchDatabase, EVENTS, load, log } from './common';
import { cpuAccount } from './cpu';
import { loadEvents, sealBacklog } from './dataset';
import { type ProfileSummary, profiledArgs, summariseProfiles } from './profile';
import { benchExport, benchLimits, benchQuery } from './read-paths';
import { judge, writeSummary } from './report';
import { benchSchedulesThroughApi } from './schedules';
import { benchChainCost } from './writers';

/** BENCH_AUDIT_PROFILE=0: no CPU profiles of the spawned processes (they cost a few % of throughput). */
const PROFILE = process.env.BENCH_AUDIT_PROFILE !== '0';

/**
 * Runs `work` against a `flagline serve` of its own (profiled unless BENCH_AUDIT_PROFILE=0), recording the CPU split
 * of the stage (bench, server, PostgreSQL backends) and the server's profile: one server per stage, so each profile
 * says what that stage alone spent its time on.
 */
async function stage<T>(
  adminUrl: string,
  databaseName: string,
  databaseUrl: string,
  work: (url: string) => Promise<T>,
) {
  const profile = PROFILE ? profiledArgs() : undefined;
  const server = await startFlagline(
    {
      DATABASE_URL: databaseUrl,
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
    },
    profile?.args,
  );
  try {
    const cpu = await cpuAccount(adminUrl, databaseName, { bench: process.pid, server: server.child.pid });
    const result = await work(server.url);
    const split = await cpu.stop();
    await server.stop();
    return { result, cpu: split, serverProfile: profile ? summariseProfiles(profile.dir) : null };
  } finally {
    await server.stop();
  }
}

/**
 * `npm run bench -- audit`: every part of issue #15's performance item in one run on PostgreSQL (BENCH_DATABASE_URL,
 * default the local server): BENCH_AUDIT_EVENTS (default 1,000,000) events loaded and sealed, then verify, the
 * filtered query, the export, what bounds them, audited vs plain writers with the sealing lag, and schedules created
 * through the API and drained by two workers. Writes bench/results/audit-<time>.json and bench/results/audit.md.
 */
export async function benchAudit(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const bench = await createBenchDatabase(adminUrl, 'flagline_bench_audit');
  const { name, databaseUrl } = bench;
  const loadBefore = load();
  try {
    const migrating = await openDatabase({ databaseUrl, poolSize: 1 });
    await runMigrations(migrating, databaseUrl);
    await migrating.close();

    log(`loading ${EVENTS} events into ${name} (load ${loadBefore.join(' ')})`);
    const loadStarted = performance.now();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await loadEvents(client);
    } finally {
      await client.end();
    }
    const loadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10;
    log(`loaded in ${loadSeconds} s; sealing`);
    const backlogSealing = await sealBacklog(databaseUrl);
    log(`sealed: ${JSON.stringify(backlogSealing)}`);

    const run = <T>(work: (url: string) => Promise<T>) => stage(adminUrl, name, databaseUrl, work);
    log(`verifying the chain (load ${load().join(' ')})`);
    const verifyStage = await run(async (url) => {
      const started = performance.now();
      const verification = (await (await adminGet(url, '/api/admin/audit/verify')).json()) as AuditVerification;
      return { verification, seconds: (performance.now() - started) / 1000 };
    });
    const { verification, seconds: verifySeconds } = verifyStage.result;
    log(`verify: ${JSON.stringify(verification)} in ${verifySeconds.toFixed(1)} s`);
    if (!verification.ok || verification.checked !== EVENTS) throw new Error('the generated chain does not verify');
    const verify = {
      ...verification,
      seconds: Math.round(verifySeconds * 10) / 10,
      eventsPerSecond: Math.round(EVENTS / verifySeconds),
      cpu: verifyStage.cpu,
      serverProfile: verifyStage.serverProfile,
    };

    log(`filtered queries (load ${load().join(' ')})`);
    const queryStage = await run((url) => benchQuery(url, databaseUrl));
    log(`query: ${JSON.stringify(queryStage.result)}`);
    log(`export (load ${load().join(' ')})`);
    const exportStage = await run(async (url) => ({
      full: await benchExport(url),
      oneFlag: await benchExport(url, '&flagKey=flag-0042'),
    }));
    log(`export: ${JSON.stringify(exportStage.result)}`);
    if (exportStage.result.full.events !== EVENTS) throw new Error(`export returned ${exportStage.result.full.events}`);

    log('what bounds verify and export');
    const limits = await benchLimits(databaseUrl);
    log(`limits: ${JSON.stringify(limits)}`);
    log(`audited vs plain writers and sealing lag (load ${load().join(' ')})`);
    const auditCost = await benchChainCost(databaseUrl, adminUrl, name);
    log(`writers: audited/plain ${auditCost.concurrent.auditedVsPlain}, lag p99 ${auditCost.sealLagMs.p99} ms`);
    log(`schedules through the API, then a drain (load ${load().join(' ')})`);
    const schedules = await benchSchedulesThroughApi(adminUrl);

    const figures = {
      queryP99Ms: queryStage.result.latencyMs.p99,
      exportEventsPerSecond: exportStage.result.full.eventsPerSecond,
      verifyEventsPerSecond: verify.eventsPerSecond,
      concurrentAuditedVsPlain: auditCost.concurrent.auditedVsPlain,
      sealLagP99Ms: auditCost.sealLagMs.p99,
      scheduleCreationPerSecond: schedules.creation.perSecond,
      drainSchedulesPerSecond: schedules.drain.perSecond,
    };
    const verdict = judge(
      figures,
      {
        verify: verify.cpu,
        query: queryStage.cpu,
        export: exportStage.cpu,
        writers: auditCost.concurrent.audited.cpu,
        creation: schedules.creation.cpu,
        drain: schedules.drain.cpu,
      },
      notesOf(
        auditCost,
        limits,
        schedules,
        {
          query: queryStage.serverProfile,
          verify: verify.serverProfile,
          export: exportStage.serverProfile,
        },
        queryStage.result,
      ),
    );
    const result = {
      scenario: `${EVENTS} audit events on PostgreSQL, sealed by the sealer, flagline serve as its own process`,
      events: EVENTS,
      profiled: PROFILE,
      loadSeconds,
      backlogSealing,
      verify,
      filteredQuery: {
        request: 'GET /api/admin/audit?flagKey=…&from=…&to=… (first page, limit 50; windows of 7–90 days), sequential',
        ...queryStage.result,
        cpu: queryStage.cpu,
        serverProfile: queryStage.serverProfile,
      },
      export: { ...exportStage.result, cpu: exportStage.cpu, serverProfile: exportStage.serverProfile },
      auditCost,
      schedules,
      limits: {
        ...limits,
        note: 'readRowsPerSecond: node-postgres alone reading the sealed join; hashEventsPerSecond: canonical JSON + SHA-256 on one core; roundTripsPerSecond: `select 1` by 20 connections, the floor under every write path',
      },
      ...verdict,
      loadAverage: { before: loadBefore, after: load() },
    };
    const path = writeResult('audit', result);
    writeSummary(path, result.events, figures, verdict, result.loadAverage);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${path} and bench/results/audit.md\n`);
  } finally {
    await bench.drop();
  }
}

const topAreas = (profile: ProfileSummary | null) =>
  profile
    ? profile.byArea
        .slice(0, 4)
        .map((area) => `${area.name} ${area.percentOfBusy}%`)
        .join(', ')
    : 'not profiled';

/** The measured detail behind each "limited by": the stage's own breakdowns and profiles. */
function notesOf(
  auditCost: Awaited<ReturnType<typeof benchChainCost>>,
  limits: Awaited<ReturnType<typeof benchLimits>>,
  schedules: Awaited<ReturnType<typeof benchSchedulesThroughApi>>,
  server: Record<'query' | 'verify' | 'export', ProfileSummary | null>,
  query: Awaited<ReturnType<typeof benchQuery>>,
) {
  const cost = auditCost.insertCost;
  return {
    concurrentAuditedVsPlain: `inside PostgreSQL an audited insert costs ${cost.auditedUsPerRow} µs a row against ${cost.plainUsPerRow} plain: the xact_id trigger ${cost.triggerUsPerRow} µs, the rest maintaining ${cost.indexesOnAuditEvents} indexes`,
    queryP99Ms: `in PostgreSQL (EXPLAIN ANALYZE of ${query.database.queries} of the windows) p99 ${query.database.executionMs.p99} ms executing, ${query.database.planningMs.p99} ms planning, ${query.database.heapBlocks.p50} heap blocks (median) visited; server profile: ${topAreas(server.query)}`,
    verifyEventsPerSecond: `one core hashes ${limits.hashEventsPerSecond} events/s (RFC 8785 + SHA-256); node-postgres alone reads ${limits.readRowsPerSecond} sealed rows/s; server profile: ${topAreas(server.verify)}`,
    exportEventsPerSecond: `node-postgres alone reads ${limits.readRowsPerSecond} sealed rows/s; server profile: ${topAreas(server.export)}`,
    scheduleCreationPerSecond: `20 connections make ${limits.roundTripsPerSecond} trivial round trips/s; server profile: ${topAreas(schedules.creation.serverProfile)}`,
    drainSchedulesPerSecond: `worker profile: ${topAreas(schedules.drain.workerProfile)}`,
  };
}
