import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { max } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { bigint, pgSchema } from 'drizzle-orm/pg-core';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { StartupError } from '../config';
import { sqlState } from '../shared/errors';
import type { Database } from './client';
import { rootMessage } from './problems';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Any fixed number: it names the lock that keeps two starting processes from migrating at once. */
const MIGRATION_LOCK_ID = 4747_0001;

/** The table drizzle's migrator keeps (it records each migration's journal `when` as `created_at`). */
const appliedMigrations = pgSchema('drizzle').table('__drizzle_migrations', {
  createdAt: bigint('created_at', { mode: 'number' }),
});

/** SQLSTATEs for "that schema or table does not exist": a database never migrated. */
const NOT_MIGRATED = new Set(['3F000', '42P01']);

function newestMigrationMillis(): number {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  };
  return Math.max(...journal.entries.map((entry) => entry.when));
}

/**
 * Whether every migration is applied, by drizzle's own rule (it applies those newer than the newest it recorded).
 * One read, where drizzle's migrator runs DDL and a transaction on every start, and on PostgreSQL a session and a lock.
 */
async function isMigrated(database: Database): Promise<boolean> {
  try {
    const [newest] = await database.db.select({ at: max(appliedMigrations.createdAt) }).from(appliedMigrations);
    return newest?.at != null && newest.at >= newestMigrationMillis();
  } catch (error) {
    if (NOT_MIGRATED.has(sqlState(error) ?? '')) return false;
    throw error;
  }
}

/**
 * Migrates, or fails start-up with one line naming what to look at (a role that may not create tables, say). With
 * `migrationUrl` (MIGRATION_DATABASE_URL, the owner), migrations run through it and the role of `databaseUrl` is then
 * granted what the application needs: it owns nothing, so it can neither disable the audit triggers nor set
 * session_replication_role, and it may only insert into the audit tables.
 */
export async function runMigrations(database: Database, databaseUrl?: string, migrationUrl?: string): Promise<void> {
  try {
    await migrate(database, migrationUrl ?? databaseUrl);
    if (database.kind === 'postgres' && migrationUrl && databaseUrl) await grantRuntimeRole(migrationUrl, databaseUrl);
  } catch (error) {
    const variable =
      database.kind === 'pglite' ? 'FLAGLINE_DATA_DIR' : migrationUrl ? 'MIGRATION_DATABASE_URL' : 'DATABASE_URL';
    const state = sqlState(error);
    throw new StartupError(
      variable,
      `migrating the database failed: ${rootMessage(error)}${state ? ` (SQLSTATE ${state})` : ''}`,
      { cause: error },
    );
  }
}

async function migrate(database: Database, databaseUrl?: string): Promise<void> {
  if (await isMigrated(database)) return;
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  if (!databaseUrl) throw new Error('runMigrations needs the database URL for PostgreSQL');
  // One session holds the advisory lock and runs the migrations, so concurrent starts migrate once.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrateNodePg(drizzleNodePg(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    await client.end();
  }
}

const roleOf = (url: string) => decodeURIComponent(new URL(url).username);

/**
 * What the runtime role may do, granted by the owner after every migration (idempotent, and it covers tables new
 * migrations add): read and write the application's tables, but only read and append the audit trail.
 */
async function grantRuntimeRole(migrationUrl: string, databaseUrl: string): Promise<void> {
  const runtime = roleOf(databaseUrl);
  if (!runtime || runtime === roleOf(migrationUrl)) return;
  const client = new pg.Client({ connectionString: migrationUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(runtime);
    await client.query(`
      grant usage on schema public to ${role};
      grant select, insert, update, delete on all tables in schema public to ${role};
      revoke update, delete, truncate on audit_events, audit_chain from ${role};
      grant usage, select on all sequences in schema public to ${role};`);
  } finally {
    await client.end();
  }
}
