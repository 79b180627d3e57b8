import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client';
import { templateKey } from '../../src/db/data-dir-template';
import { runMigrations } from '../../src/db/migrate';
import { sqlState } from '../../src/shared/errors';

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

function adminDatabaseUrl(): string {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  return adminUrl;
}

function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function asAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The migrated database PostgreSQL test databases are cloned from (Unleash's way: a copy is far cheaper than running
 * every migration per test file), named after the migrations it holds, so test runs of different branches sharing one
 * server each find their own. Built once (vitest's global setup calls this first); concurrent callers are safe: it is
 * migrated under a name of its own and renamed into place, and whoever renames second drops theirs.
 */
export async function ensurePostgresTemplate(): Promise<string> {
  const name = `flagline_template_${templateKey().slice(0, 16)}`;
  return asAdmin(async (admin) => {
    if ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount) return name;
    const building = `${name}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${building}`);
    try {
      const database = await openDatabase({ databaseUrl: databaseUrl(building), poolSize: 1 });
      try {
        await runMigrations(database, databaseUrl(building));
      } finally {
        await database.close();
      }
      // A closed connection's server process may linger a moment, and a database in use cannot be renamed.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.query(`alter database ${building} rename to ${name}`);
          return name;
        } catch (error) {
          if (sqlState(error) !== '55006' || attempt >= 50) throw error;
          await sleep(100);
        }
      }
    } catch (error) {
      await admin.query(`drop database if exists ${building} with (force)`);
      if (sqlState(error) === '42P04') return name; // another run renamed theirs into place first
      throw error;
    }
  });
}

/**
 * A fresh PostgreSQL database for one test file, created and dropped through the server at TEST_DATABASE_URL: empty
 * (for tests of what migrating does), or with `migrated` a clone of the migrated template.
 */
export async function createPostgresDatabase(
  options: { migrated?: boolean } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const template = options.migrated ? await ensurePostgresTemplate() : undefined;
  const name = `flagline_test_${randomBytes(6).toString('hex')}`;
  await asAdmin((admin) => admin.query(`create database ${name}${template ? ` template ${template}` : ''}`));
  return {
    url: databaseUrl(name),
    async drop() {
      await asAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    // In memory, loaded from the build's migrated template (see db/data-dir-template.ts).
    const database = await openDatabase({ dataDir: 'memory:' });
    await runMigrations(database);
    return { backend, database, url: undefined, drop: () => database.close() };
  }
  const created = await createPostgresDatabase({ migrated: true });
  const database = await openDatabase({ databaseUrl: created.url, poolSize: 5 });
  // One read on the clone (it is current); kept so a test database is migrated whatever it was made from.
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
