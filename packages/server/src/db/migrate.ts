import { fileURLToPath } from 'node:url';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { StartupError } from '../config';
import { sqlState } from '../http/errors';
import type { Database } from './client';
import { rootMessage } from './problems';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Any fixed number: it names the lock that keeps two starting processes from migrating at once. */
const MIGRATION_LOCK_ID = 4747_0001;

/** Migrates, or fails start-up with one line naming what to look at (a role that may not create tables, say). */
export async function runMigrations(database: Database, databaseUrl?: string): Promise<void> {
  try {
    await migrate(database, databaseUrl);
  } catch (error) {
    const variable = database.kind === 'pglite' ? 'FLAGLINE_DATA_DIR' : 'DATABASE_URL';
    const state = sqlState(error);
    throw new StartupError(
      variable,
      `migrating the database failed: ${rootMessage(error)}${state ? ` (SQLSTATE ${state})` : ''}`,
      { cause: error },
    );
  }
}

async function migrate(database: Database, databaseUrl?: string): Promise<void> {
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
