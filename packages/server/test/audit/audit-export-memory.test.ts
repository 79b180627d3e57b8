import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type AuditEvent, type AuditVerification, auditEventSchema } from '@flagline/core';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countUnsealed, sealAll } from '../../src/audit/sealer';
import { loadConfig } from '../../src/config';
import { type Database, openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { type RunningServer, startServer } from '../../src/server';
import { type Backend, createPostgresDatabase, testBackends } from '../helpers/database';

const EVENTS = 100_000;
const BATCH = 10_000;
const EPOCH = Date.parse('2026-01-01T00:00:00Z');
const ADMIN_TOKEN = 'export-memory-admin-token-0123456789';
const MB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface EventContent {
  type: string;
  occurredAt: string;
  actor: { type: string; id: string; email: string | null };
  environment: string | null;
  flagKey: string | null;
  scheduleId: string | null;
  requestId: string | null;
  data: unknown;
  before: unknown;
  after: unknown;
}

/** A plausible event n: flag updates and overrides across 500 flags and two environments, by 10 actors. */
function eventContent(n: number): EventContent {
  const flagKey = `flag-${String(n % 500).padStart(3, '0')}`;
  const environment = n % 2 === 0 ? 'production' : 'development';
  const common = {
    occurredAt: new Date(EPOCH + n * 1_000).toISOString(),
    actor: { type: 'token', id: `token-${n % 10}`, email: null },
    environment,
    flagKey,
    scheduleId: null,
    requestId: `load-${n}`,
  };
  if (n % 5 === 0) {
    const override = { userId: `user-${n}`, overrideType: 'include', reason: `ticket ${n}, "expedite"` };
    return { ...common, type: 'flag_override.set', data: { flagKey, ...override }, before: null, after: override };
  }
  const rollout = n % 101;
  return {
    ...common,
    type: 'flag.updated',
    data: { flagKey, changedFields: ['enabled', 'rolloutPercentage'] },
    before: {
      description: `flag ${n % 500}`,
      enabled: n % 3 === 0,
      rolloutPercentage: (rollout + 50) % 101,
      version: n,
    },
    after: { description: `flag ${n % 500}`, enabled: n % 3 !== 0, rolloutPercentage: rollout, version: n + 1 },
  };
}

/**
 * 100,000 events inserted 10,000 per statement (one JSON parameter, expanded by jsonb_to_recordset in order), then
 * sealed by the server's own sealer code: seconds instead of minutes, and `verify` checks the result.
 */
async function loadEvents(database: Database): Promise<void> {
  for (let start = 0; start < EVENTS; start += BATCH) {
    const rows = [];
    for (let n = start; n < start + BATCH; n++) {
      const content = eventContent(n);
      rows.push({ seq: n, ...content, actorType: content.actor.type, actorId: content.actor.id });
    }
    await database.db.execute(sql`
      insert into audit_events (occurred_at, type, actor_type, actor_id, actor_email, environment, flag_key, schedule_id,
        request_id, data, before, after)
      select "occurredAt", type, "actorType", "actorId", null, environment, "flagKey", "scheduleId",
        "requestId", data, before, after
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(seq int, "occurredAt" timestamptz, type text,
        "actorType" text, "actorId" text, environment text, "flagKey" text, "scheduleId" text, "requestId" text,
        data jsonb, before jsonb, after jsonb)
      order by seq`);
  }
  // Until none is left: a transaction of a parallel test file elsewhere on the server can hold the horizon a while.
  const deadline = Date.now() + 60_000;
  while ((await countUnsealed(database.db)) > 0) {
    if (Date.now() > deadline) throw new Error('the generated events stayed unsealed for 60 s');
    await sealAll(database.db, BATCH);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(testBackends())('audit export memory (%s)', (backend: Backend) => {
  let server: RunningServer;
  let cleanup: () => Promise<void> = async () => {};
  let loadMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    let env: Record<string, string>;
    if (backend === 'pglite') {
      const dataDir = mkdtempSync(join(tmpdir(), 'flagline-export-'));
      const database = await openDatabase({ dataDir });
      try {
        await runMigrations(database);
        await loadEvents(database);
      } finally {
        await database.close();
      }
      env = { FLAGLINE_DATA_DIR: dataDir };
      cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
    } else {
      const created = await createPostgresDatabase();
      cleanup = () => created.drop();
      const database = await openDatabase({ databaseUrl: created.url, poolSize: 2 });
      try {
        await runMigrations(database, created.url);
        await loadEvents(database);
      } finally {
        await database.close();
      }
      env = { DATABASE_URL: created.url };
    }
    loadMs = performance.now() - started;
    // The real server, in this process, so this process's memory is the server's.
    const config = loadConfig({
      ...env,
      PORT: '0',
      LOG_LEVEL: 'silent',
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
    });
    server = await startServer(config, pino({ level: 'silent' }));
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await cleanup();
  });

  const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  it('exports 100,000 events as NDJSON over HTTP with memory growing by less than 50 MB', async () => {
    // The chain built in batches verifies (this also reads every row once, as the export will).
    const verifyStarted = performance.now();
    const verification = (await (await get('/api/admin/audit/verify')).json()) as AuditVerification;
    const verifyMs = performance.now() - verifyStarted;
    expect(verification).toMatchObject({ ok: true, checked: EVENTS, firstBrokenId: null, unsealed: 0 });

    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let lowRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sample = () => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      lowRss = Math.min(lowRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    };
    const sampler = setInterval(sample, 25);

    const started = performance.now();
    let lines = 0;
    let bytes = 0;
    let firstLine = '';
    let tail = '';
    try {
      const response = await get('/api/admin/audit/export?format=ndjson');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      if (!response.body) throw new Error('no body');
      const decoder = new TextDecoder();
      // Consume the stream without keeping it: count lines, remember only the first line and the unfinished end.
      for await (const chunk of response.body) {
        bytes += chunk.byteLength;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        const text = decoder.decode(chunk, { stream: true });
        if (!firstLine) firstLine = text.slice(0, text.indexOf('\n'));
        tail = (tail + text).slice(-4096);
        sample();
      }
    } finally {
      clearInterval(sampler);
    }
    const elapsedMs = performance.now() - started;

    expect(lines).toBe(EVENTS);
    const first: AuditEvent = auditEventSchema.parse(JSON.parse(firstLine));
    const last: AuditEvent = auditEventSchema.parse(JSON.parse(tail.trimEnd().split('\n').at(-1) ?? ''));
    expect(first).toMatchObject({
      id: '1',
      position: 1,
      prevHash: null,
      requestId: 'load-0',
      type: 'flag_override.set',
    });
    expect(last).toMatchObject({ id: String(EVENTS), requestId: `load-${EVENTS - 1}`, type: 'flag.updated' });

    const rssGrowth = (peakRss - baseline.rss) / MB;
    const heapGrowth = (peakHeap - baseline.heapUsed) / MB;
    process.stdout.write(
      `audit-export-memory (${backend}): load ${Math.round(loadMs)} ms, verify ${Math.round(verifyMs)} ms; ` +
        `export ${lines} lines, ${(bytes / MB).toFixed(1)} MB in ${Math.round(elapsedMs)} ms ` +
        `(${Math.round(lines / (elapsedMs / 1000))} events/s); rss +${rssGrowth.toFixed(1)} MB, heapUsed +${heapGrowth.toFixed(1)} MB ` +
        `(rss baseline ${(baseline.rss / MB).toFixed(0)} MB, ${(lowRss / MB).toFixed(0)}–${(peakRss / MB).toFixed(0)} MB during the export)\n`,
    );
    // The whole export is ~60 MB of text: growth under 50 MB means it was never held at once.
    expect(bytes / MB).toBeGreaterThan(50);
    expect(rssGrowth).toBeLessThan(50);
    expect(heapGrowth).toBeLessThan(50);
  }, 120_000);
});
