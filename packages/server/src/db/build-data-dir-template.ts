import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { create } from 'tar';
import { type Database, openDatabase } from './client';
import { KEPT_ENTRIES } from './data-dir';
import {
  recordTemplateKey,
  TEMPLATE_ARCHIVE,
  TEMPLATE_DIRECTORY,
  templateIsCurrent,
  templateKey,
} from './data-dir-template';
import { runMigrations } from './migrate';

/**
 * initdb's template0 and template1 are two thirds of a data directory's files (600 of ~1,050), which a first start
 * would write out and every start's scans of the database directories would list. Flagline uses the `postgres`
 * database only and never creates one in the embedded database, so the template ships without them.
 */
async function dropTemplateDatabases(database: Database): Promise<void> {
  for (const name of ['template0', 'template1']) {
    // One statement per query: DROP DATABASE cannot run inside a transaction block, as several statements would be.
    await database.db.execute(sql.raw(`alter database ${name} is_template false`));
    await database.db.execute(sql.raw(`drop database ${name}`));
  }
}

/**
 * Builds the migrated data directory that first starts unpack (see data-dir-template.ts): initdb and every migration
 * in a scratch directory, shut down cleanly, packed with its owner-only modes. A no-op when the template is current.
 */
export async function buildDataDirTemplate(): Promise<'built' | 'current'> {
  const key = templateKey();
  if (templateIsCurrent(key)) return 'current';
  const scratch = mkdtempSync(join(tmpdir(), 'flagline-template-'));
  try {
    const database = await openDatabase({ dataDir: scratch });
    try {
      await runMigrations(database);
      await dropTemplateDatabases(database);
    } finally {
      await database.close();
    }
    mkdirSync(TEMPLATE_DIRECTORY, { recursive: true });
    const entries = readdirSync(scratch).filter((entry) => !KEPT_ENTRIES.has(entry));
    const partial = `${TEMPLATE_ARCHIVE}.partial`;
    await create({ gzip: true, file: partial, cwd: scratch, portable: true }, entries);
    renameSync(partial, TEMPLATE_ARCHIVE);
    recordTemplateKey(key);
    return 'built';
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
