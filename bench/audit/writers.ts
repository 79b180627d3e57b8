import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { AuditRecorder } from '../../packages/server/src/audit/recorder';
import { AuditSealer } from '../../packages/server/src/audit/sealer';
import { openDatabase } from '../../packages/server/src/db/client';
import { FLAGS, summary } from './common';
import { cpuAccount } from './cpu';

const CHAIN_SEQUENTIAL = 1_000;
const CHAIN_WORKERS = 10;
const CHAIN_PER_WORKER = 100;

/**
 * What auditing costs a change now that writers take no chain lock: the same audited change (one event in its own
 * transaction) through the recorder into audit_events, with a sealer running beside the writers as in production,
 * against a plain insert of the same row into a table without triggers or sealing. Sequential interleaved pairs first
 * (load drifts hit both), then 10 concurrent writers each way; the sealing lag of the concurrent audited events is
 * read back from the chain (sealed_at - occurred_at, both database clocks).
 */
export async function benchChainCost(databaseUrl: string, adminUrl: string, databaseName: string) {
  const database = await openDatabase({ databaseUrl, poolSize: CHAIN_WORKERS + 2 });
  const db = database.db;
  await db.execute(sql`create table bench_plain (like audit_events including defaults including identity)`);
  const sealer = new AuditSealer(database, pino({ level: 'silent' }));
  const actor = { type: 'token' as const, id: 'bench-writer', email: null };
  const input = (i: number) => ({
    type: 'flag.updated' as const,
    environment: 'production',
    flagKey: `flag-${String(i % FLAGS).padStart(4, '0')}`,
    data: { flagKey: `flag-${String(i % FLAGS).padStart(4, '0')}`, changedFields: ['enabled'] },
    before: { description: 'bench', enabled: false, rolloutPercentage: 10, version: i },
    after: { description: 'bench', enabled: true, rolloutPercentage: 10, version: i + 1 },
  });
  const audited = (i: number) =>
    db.transaction(async (tx) => {
      await new AuditRecorder(tx, actor, `audited-${i}`).record(input(i));
      // As runChange does: the NOTIFY that wakes the sealer.
      await tx.execute(sql`select pg_notify('flagline_changes', '')`);
    });
  const plain = (i: number) =>
    db.transaction(async (tx) => {
      const event = input(i);
      await tx.execute(sql`
        insert into bench_plain (type, actor_type, actor_id, environment, flag_key, request_id, data, before, after)
        values (${event.type}, ${actor.type}, ${actor.id}, ${event.environment}, ${event.flagKey}, ${`plain-${i}`},
          ${JSON.stringify(event.data)}::jsonb, ${JSON.stringify(event.before)}::jsonb, ${JSON.stringify(event.after)}::jsonb)
        returning *`);
      // Every change notifies (runChange), audited or not: the plain side pays it too, so only auditing differs.
      await tx.execute(sql`select pg_notify('bench_plain', '')`);
    });
  const timed = async (work: () => Promise<void>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  try {
    await sealer.start();
    for (let i = 0; i < 50; i++) {
      await audited(100_000 + i);
      await plain(100_000 + i);
    }
    const sequential = { audited: [] as number[], plain: [] as number[] };
    for (let i = 0; i < CHAIN_SEQUENTIAL; i++) {
      sequential.audited.push(await timed(() => audited(i)));
      sequential.plain.push(await timed(() => plain(i)));
    }
    const concurrent = async (write: (i: number) => Promise<void>) => {
      const latencies: number[] = [];
      const cpu = await cpuAccount(adminUrl, databaseName, { bench: process.pid });
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CHAIN_WORKERS }, async (_, w) => {
          for (let i = 0; i < CHAIN_PER_WORKER; i++) latencies.push(await timed(() => write(w * 1000 + i)));
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      return {
        changesPerSecond: Math.round(latencies.length / seconds),
        latencyMs: summary(latencies),
        cpu: await cpu.stop(),
      };
    };
    // Alternated, twice each, so neither side always runs on the warmer (or the more loaded) machine.
    const runs = { audited: [] as number[], plain: [] as number[] };
    let concurrentAudited = await concurrent(audited);
    runs.audited.push(concurrentAudited.changesPerSecond);
    let concurrentPlain = await concurrent(plain);
    runs.plain.push(concurrentPlain.changesPerSecond);
    concurrentPlain = await concurrent(plain);
    runs.plain.push(concurrentPlain.changesPerSecond);
    concurrentAudited = await concurrent(audited);
    runs.audited.push(concurrentAudited.changesPerSecond);
    const best = (list: number[]) => Math.max(...list);
    // Let the sealer finish, then read every bench event's lag from the chain.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [pending] = (
        (await db.execute(sql`select count(*)::int as n from audit_events e
          where e.request_id like 'audited-%' and not exists (select 1 from audit_chain c where c.event_id = e.id)`)) as unknown as {
          rows: { n: number }[];
        }
      ).rows;
      if ((pending?.n ?? 0) === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lags = (
      (await db.execute(sql`select extract(epoch from c.sealed_at - e.occurred_at) * 1000 as ms
        from audit_events e join audit_chain c on c.event_id = e.id where e.request_id like 'audited-%'`)) as unknown as {
        rows: { ms: string }[];
      }
    ).rows.map((row) => Number(row.ms));
    const auditedSummary = summary(sequential.audited);
    const plainSummary = summary(sequential.plain);
    const overhead = Math.round((auditedSummary.mean - plainSummary.mean) * 1000) / 1000;
    return {
      scenario:
        'one audited change per transaction through the recorder (no chain lock; a sealer running beside, in the same process) vs a plain insert of the same row into a table without triggers, both with the NOTIFY every change sends; sequential interleaved pairs, then 10 concurrent writers each way (two runs each, alternated; best run counted)',
      sequentialMs: { audited: auditedSummary, plain: plainSummary },
      addedPerChangeMs: overhead,
      addedPerChangePercent: Math.round((overhead / plainSummary.mean) * 1000) / 10,
      concurrent: {
        writers: CHAIN_WORKERS,
        audited: concurrentAudited,
        plain: concurrentPlain,
        runsChangesPerSecond: runs,
        auditedVsPlain: Math.round((best(runs.audited) / best(runs.plain)) * 1000) / 1000,
      },
      sealLagMs: summary(lags),
      insertCost: await insertCost(databaseUrl),
    };
  } finally {
    await sealer.stop();
    await database.close();
  }
}

/**
 * Where an audited insert's extra time goes inside PostgreSQL: EXPLAIN ANALYZE of 2,000 rows inserted into
 * audit_events (its indexes and the xact_id trigger) and into bench_plain (the same columns, no index, no trigger), in
 * a transaction rolled back. The trigger's own time is reported by PostgreSQL; the rest of the difference is index
 * maintenance.
 */
async function insertCost(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rows = 2_000;
  const insert = (table: string) => `explain (analyze, format json)
    insert into ${table} (type, actor_type, actor_id, environment, flag_key, request_id, data, before, after)
    select 'flag.updated', 'token', 'bench-writer', 'production', 'flag-' || lpad((g % 2000)::text, 4, '0'),
      'cost-' || g, '{"flagKey":"flag-0001","changedFields":["enabled"]}', '{"enabled":false,"version":1}',
      '{"enabled":true,"version":2}'
    from generate_series(1, ${rows}) as g`;
  type Plan = { 'Execution Time': number; Triggers?: { 'Trigger Name': string; Time: number }[] };
  const explain = async (table: string): Promise<Plan> => {
    const result = await client.query<{ 'QUERY PLAN': Plan[] }>(insert(table));
    return result.rows[0]?.['QUERY PLAN'][0] as Plan;
  };
  try {
    await client.query('begin');
    const audited = await explain('audit_events');
    const plain = await explain('bench_plain');
    await client.query('rollback');
    const indexes = await client.query<{ n: string }>(
      "select count(*) as n from pg_indexes where tablename = 'audit_events'",
    );
    const perRow = (ms: number) => Math.round((ms / rows) * 1000 * 10) / 10;
    const triggerMs = (audited.Triggers ?? []).reduce((sum, trigger) => sum + trigger.Time, 0);
    return {
      rows,
      auditedUsPerRow: perRow(audited['Execution Time']),
      plainUsPerRow: perRow(plain['Execution Time']),
      triggerUsPerRow: perRow(triggerMs),
      indexesOnAuditEvents: Number(indexes.rows[0]?.n ?? 0),
      note: 'inside PostgreSQL only; one audited change per transaction also pays round trips and a commit, which both sides share',
    };
  } finally {
    await client.end();
  }
}
