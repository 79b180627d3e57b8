import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../src/audit/recorder';
import { countUnsealed, sealAll } from '../../src/audit/sealer';
import { verifyAuditChain } from '../../src/audit/verify';
import type { Db } from '../../src/db/client';
import { migrationsFolder } from '../../src/db/migrate';
import * as schema from '../../src/db/schema';
import { auditChain, auditEvents, webhookDeliveries, webhooks } from '../../src/db/schema';
import { type Backend, createPostgresDatabase, testBackends } from '../helpers/database';

/** The migrations as a release before audit sealing shipped them: 0000–0004. */
function migrationsBeforeSealing(): string {
  const folder = mkdtempSync(join(tmpdir(), 'flagline-migrations-0004-'));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const kept = journal.entries.filter((entry) => entry.tag < '0005');
  expect(kept.map((entry) => entry.tag).at(-1)).toBe('0004_webhook_leases');
  for (const entry of journal.entries.slice(kept.length)) rmSync(join(folder, `${entry.tag}.sql`));
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: kept }));
  return folder;
}

interface Upgradable {
  db: Db;
  /** Applies the given migrations folder (drizzle applies what it has not recorded yet). */
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
}

async function emptyDatabase(backend: Backend): Promise<Upgradable> {
  if (backend === 'pglite') {
    const client = new PGlite();
    const db = drizzlePglite(client, { schema });
    return {
      db: db as unknown as Db,
      migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
      close: () => client.close(),
    };
  }
  const created = await createPostgresDatabase();
  const pool = new pg.Pool({ connectionString: created.url, max: 2 });
  const db = drizzleNodePg(pool, { schema });
  return {
    db: db as unknown as Db,
    migrate: (folder) => migrateNodePg(db, { migrationsFolder: folder }),
    async close() {
      await pool.end();
      await created.drop();
    },
  };
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe.each(testBackends())('upgrading a trail written before sealing (%s)', (backend) => {
  it('chains the old events first in id order, keeps their deliveries, and seals new events after them', async () => {
    const before = migrationsBeforeSealing();
    folders.push(before);
    const database = await emptyDatabase(backend);
    const { db } = database;
    try {
      await database.migrate(before);
      // What the release before wrote: events with its own (lock-chained) hashes, and their webhook deliveries.
      const [webhook] = await db
        .insert(webhooks)
        .values({ url: 'https://hooks.example.com/flagline', secret: 'whsec_old', createdBy: 'admin' })
        .returning({ id: webhooks.id });
      if (!webhook) throw new Error('no webhook');
      const old = await db.execute<{ id: string }>(sql`
        insert into audit_events (type, actor_type, actor_id, flag_key, data, prev_hash, hash)
        select 'flag.created', 'user', 'admin', 'old-' || n, jsonb_build_object('flagKey', 'old-' || n, 'description', ''),
               'old-prev-' || n, 'old-hash-' || n
        from generate_series(1, 5) as n
        returning id::text`);
      const oldIds = (old as unknown as { rows: { id: string }[] }).rows.map((row) => BigInt(row.id));
      await db.insert(webhookDeliveries).values(oldIds.map((eventId) => ({ webhookId: webhook.id, eventId })));

      await database.migrate(migrationsFolder);
      expect(await countUnsealed(db)).toBe(5);
      const actor = { type: 'user' as const, id: 'admin', email: null };
      await db.transaction(async (tx) => {
        await new AuditRecorder(tx, actor, null).record({
          type: 'flag.deleted',
          flagKey: 'old-1',
          data: { flagKey: 'old-1', cancelledScheduleIds: [] },
        });
      });
      // Until none is left: a transaction of a parallel test file elsewhere on the server can hold the horizon a while.
      const deadline = Date.now() + 30_000;
      while ((await countUnsealed(db)) > 0 && Date.now() < deadline) {
        await sealAll(db);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      const chain = await db
        .select({ position: auditChain.position, eventId: auditChain.eventId })
        .from(auditChain)
        .orderBy(asc(auditChain.position));
      expect(chain.map((link) => link.eventId)).toEqual([...oldIds, (oldIds.at(-1) ?? 0n) + 1n]);
      expect(chain.map((link) => link.position)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 6, unsealed: 0 });
      // The old events kept the one delivery each they had; only the new event got a delivery from the sealer.
      const deliveries = await db
        .select({ eventId: webhookDeliveries.eventId })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, webhook.id))
        .orderBy(asc(webhookDeliveries.eventId));
      expect(deliveries.map((delivery) => delivery.eventId)).toEqual(chain.map((link) => link.eventId));
      const [oldest] = await db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.id, oldIds[0] ?? 0n));
      expect(oldest?.xactId).toBe(0n);
    } finally {
      await database.close();
    }
  }, 60_000);
});
