import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';

export type Backend = 'pglite' | 'postgres';

/**
 * The backends every integration suite runs on: PGlite always, PostgreSQL too when TEST_DATABASE_URL is set.
 * REQUIRE_POSTGRES=1 turns a missing PostgreSQL into a failure instead of a silent skip.
 */
export function testBackends(): Backend[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'postgres'];
  if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error('REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped.');
  }
  return ['pglite'];
}

/** PostgreSQL only (multi-process and concurrency tests); empty without TEST_DATABASE_URL unless it is required. */
export function postgresBackends(): Backend[] {
  return testBackends().filter((backend) => backend === 'postgres');
}

export interface TestDatabase {
  backend: Backend;
  database: Database;
  /** Set for PostgreSQL: the URL of this test's own database. */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database for one test file, created and dropped through the server at TEST_DATABASE_URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `flagline_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory:' });
    await runMigrations(database);
    return { backend, database, url: undefined, drop: () => database.close() };
  }
  const created = await createPostgresDatabase();
  const database = await openDatabase({ databaseUrl: created.url, poolSize: 5 });
  await runMigrations(database, created.url);
  return {
    backend,
    database,
    url: created.url,
    async drop() {
      await database.close();
      await created.drop();
    },
  };
}
