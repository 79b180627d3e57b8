import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client';
import { migrationsFolder, runMigrations } from '../../src/db/migrate';

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The migrations folder as an older release shipped it: every migration but the newest. */
function olderRelease(): { folder: string; newestTag: string } {
  const folder = mkdtempSync(join(tmpdir(), 'flagline-migrations-'));
  folders.push(folder);
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const newest = journal.entries.pop();
  if (!newest) throw new Error('no migrations');
  writeFileSync(journalFile, JSON.stringify(journal));
  return { folder, newestTag: newest.tag };
}

describe('migrations on upgrade (the start-up check is one read only when the schema is current)', () => {
  it('a database an older release migrated gets the newest migration, once', async () => {
    const { folder, newestTag } = olderRelease();
    const client = new PGlite();
    const db = drizzle(client);
    try {
      await migrate(db, { migrationsFolder: folder });
      const applied = async () =>
        (await client.query<{ count: number }>('select count(*)::int as count from drizzle.__drizzle_migrations'))
          .rows[0]?.count;
      const before = await applied();
      const database = { kind: 'pglite', db } as unknown as Database;
      await runMigrations(database);
      expect(await applied(), `${newestTag} applied`).toBe((before ?? 0) + 1);
      await runMigrations(database);
      expect(await applied(), 'nothing applied twice').toBe((before ?? 0) + 1);
      expect((await db.execute(sql`select count(*)::int as count from environments`)).rows).toEqual([{ count: 2 }]);
    } finally {
      await client.close();
    }
  }, 120_000);
});
