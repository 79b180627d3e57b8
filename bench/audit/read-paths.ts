import type { AuditPage } from '@flagline/core';
import pg from 'pg';
import { chainHash } from '../../packages/server/src/audit/hash';
import { toAuditEvent } from '../../packages/server/src/audit/view';
import { openDatabase } from '../../packages/server/src/db/client';
import { auditEvents as auditEventsTable } from '../../packages/server/src/db/schema';
import { adminGet, EVENTS, FLAGS, random, SPACING_S, START, summary } from './common';

const QUERY_WARMUP = 50;
const QUERIES = 500;
const ROUND_TRIP_CLIENTS = 20;

/** GET /api/admin/audit?flagKey=…&from=…&to=… (first page), one request at a time: latency, not throughput. */
export async function benchQuery(url: string, databaseUrl: string) {
  const next = random(47);
  const windows: string[] = [];
  for (let i = 0; i < QUERY_WARMUP + QUERIES; i++) {
    const flag = `flag-${String(Math.floor(next() * FLAGS)).padStart(4, '0')}`;
    const days = 7 + Math.floor(next() * 84);
    const from = START + Math.floor(next() * (EVENTS * SPACING_S * 1000 - days * 86_400_000));
    const to = from + days * 86_400_000;
    windows.push(
      new URLSearchParams({
        flagKey: flag,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      }).toString(),
    );
  }
  const samples: number[] = [];
  let events = 0;
  for (const [i, query] of windows.entries()) {
    const started = performance.now();
    const page = (await (await adminGet(url, `/api/admin/audit?${query}`)).json()) as AuditPage;
    const elapsed = performance.now() - started;
    if (i >= QUERY_WARMUP) {
      samples.push(elapsed);
      events += page.items.length;
    }
  }
  return {
    latencyMs: summary(samples),
    meanEventsPerPage: Math.round((events / QUERIES) * 10) / 10,
    database: await explainQueries(databaseUrl, windows.slice(QUERY_WARMUP, QUERY_WARMUP + EXPLAINED)),
  };
}

const EXPLAINED = 50;

/**
 * The database's share of a filtered query, measured: EXPLAIN (ANALYZE, BUFFERS) of the list query's SQL (as
 * audit-service.ts builds it) for the first windows asked over HTTP, in milliseconds of execution and planning and in
 * heap blocks visited — the rest of the HTTP latency is the server and the network.
 */
async function explainQueries(databaseUrl: string, windows: string[]) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  type Node = { 'Exact Heap Blocks'?: number; Plans?: Node[] };
  type Plan = { 'Execution Time': number; 'Planning Time': number; Plan: Node };
  const heapBlocks = (node: Node): number =>
    (node['Exact Heap Blocks'] ?? 0) + (node.Plans ?? []).reduce((sum, child) => sum + heapBlocks(child), 0);
  const execution: number[] = [];
  const planning: number[] = [];
  const blocks: number[] = [];
  try {
    for (const window of windows) {
      const params = new URLSearchParams(window);
      const result = await client.query<{ 'QUERY PLAN': Plan[] }>(
        `explain (analyze, buffers, format json)
         select e.*, c.position, c.prev_hash, c.hash from audit_events e left join audit_chain c on c.event_id = e.id
         where e.flag_key = $1 and e.occurred_at >= $2 and e.occurred_at < $3 order by e.id desc limit 51`,
        [params.get('flagKey'), params.get('from'), params.get('to')],
      );
      const plan = result.rows[0]?.['QUERY PLAN'][0];
      if (!plan) continue;
      execution.push(plan['Execution Time']);
      planning.push(plan['Planning Time']);
      blocks.push(heapBlocks(plan.Plan));
    }
  } finally {
    await client.end();
  }
  return {
    queries: execution.length,
    executionMs: summary(execution),
    planningMs: summary(planning),
    heapBlocks: summary(blocks),
  };
}

/** The whole trail as NDJSON over HTTP, counted and thrown away as it arrives. */
export async function benchExport(url: string, query = '') {
  const started = performance.now();
  const response = await adminGet(url, `/api/admin/audit/export?format=ndjson${query}`);
  if (!response.body) throw new Error('export has no body');
  let firstByteMs: number | undefined;
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    firstByteMs ??= performance.now() - started;
    bytes += chunk.byteLength;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    events: lines,
    megabytes: Math.round(bytes / 2 ** 20),
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: Math.round(lines / seconds),
    firstByteMs: Math.round(firstByteMs ?? 0),
  };
}

/**
 * What bounds verify and export on this machine, measured apart: reading the sealed rows from PostgreSQL (the same
 * join, plain node-postgres, no per-row work), and computing the chain hashes (RFC 8785 canonical JSON + SHA-256) of
 * events already in memory, on one core.
 */
export async function benchLimits(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    const result = await client.query(
      'select e.*, c.position, c.prev_hash, c.hash from audit_chain c join audit_events e on e.id = c.event_id order by c.position limit 200000',
    );
    const readSeconds = (performance.now() - started) / 1000;
    const database = await openDatabase({ databaseUrl, poolSize: 1 });
    const rows = await database.db.select().from(auditEventsTable).limit(50_000);
    await database.close();
    const events = rows.map((row) => toAuditEvent(row));
    const hashStarted = performance.now();
    let prevHash: string | null = null;
    for (const [i, event] of events.entries()) prevHash = chainHash(i + 1, prevHash, event);
    const hashSeconds = (performance.now() - hashStarted) / 1000;
    // The floor under every write path: how many trivial round trips (`select 1`) 20 connections get through per
    // second on this machine. An audited API change costs ~8 (begin, checks, inserts, notify, commit).
    const pool = new pg.Pool({ connectionString: databaseUrl, max: ROUND_TRIP_CLIENTS });
    let roundTrips = 0;
    const tripsStarted = performance.now();
    const tripsUntil = tripsStarted + 3_000;
    await Promise.all(
      Array.from({ length: ROUND_TRIP_CLIENTS }, async () => {
        while (performance.now() < tripsUntil) {
          await pool.query('select 1');
          roundTrips++;
        }
      }),
    );
    const roundTripsPerSecond = Math.round(roundTrips / ((performance.now() - tripsStarted) / 1000));
    await pool.end();
    return {
      readRowsPerSecond: Math.round(result.rows.length / readSeconds),
      hashEventsPerSecond: Math.round(events.length / hashSeconds),
      roundTripsPerSecond,
    };
  } finally {
    await client.end();
  }
}
