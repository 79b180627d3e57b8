import { execFileSync } from 'node:child_process';
import { ensurePostgresTemplate, postgresBackends } from './packages/server/test/helpers/database';

/**
 * Tests import the packages' sources, but the process tests spawn the built `flagline` bin: bring the build up to
 * date first (incremental, so a no-op when nothing changed), so they never run yesterday's JavaScript. The build
 * also packs the migrated PGlite template that in-memory test databases load.
 * With TEST_DATABASE_URL, the migrated PostgreSQL template that test databases are cloned from is made once here,
 * before the test files race to make it.
 */
export default async function setup(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build:packages'], { stdio: 'inherit' });
  if (postgresBackends().length > 0) await ensurePostgresTemplate();
}
