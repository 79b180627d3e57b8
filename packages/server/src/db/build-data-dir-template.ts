import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { openDatabase } from './client';
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
