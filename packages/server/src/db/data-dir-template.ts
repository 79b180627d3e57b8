import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEPT_ENTRIES, UNPACKING_MARKER } from './data-dir';
import { migrationsFolder } from './migrate';

/*
 * PGlite's initdb takes ~10 s of WebAssembly and the migrations a little more, so the build (`npm run build`, which
 * `npm install` runs) does both once and packs the resulting data directory. A first start on an empty directory
 * unpacks it and then starts as a restart does; an in-memory database (`memory:`, the tests' databases) loads it.
 * A template built by another PGlite or from other migrations is not used: initdb and the migrations run as before.
 */

/** Beside `src/` and `dist/` alike, so tests on the sources and the built bin find the same template. */
export const TEMPLATE_DIRECTORY = fileURLToPath(new URL('../../data-dir-template/', import.meta.url));
export const TEMPLATE_ARCHIVE = join(TEMPLATE_DIRECTORY, 'data-dir.tar.gz');
const TEMPLATE_KEY_FILE = join(TEMPLATE_DIRECTORY, 'data-dir.key');

/** Raised when what the build puts in the template changes (2: without template0 and template1). */
const TEMPLATE_FORMAT = 2;

function pgliteVersion(): string {
  // The package's exports hide its package.json; its entry point sits in dist/ beside it.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** What a template must have been built from to be used: this format, this PGlite and exactly these migrations. */
export function templateKey(): string {
  const hash = createHash('sha256').update(`format ${TEMPLATE_FORMAT}\npglite ${pgliteVersion()}\n`);
  const files = [
    join('meta', '_journal.json'),
    ...readdirSync(migrationsFolder)
      .filter((name) => name.endsWith('.sql'))
      .sort(),
  ];
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(migrationsFolder, file)));
  return hash.digest('hex');
}

export function templateIsCurrent(key = templateKey()): boolean {
  try {
    return existsSync(TEMPLATE_ARCHIVE) && readFileSync(TEMPLATE_KEY_FILE, 'utf8').trim() === key;
  } catch {
    return false;
  }
}

export function recordTemplateKey(key: string): void {
  writeFileSync(TEMPLATE_KEY_FILE, `${key}\n`);
}

/** The template for an in-memory database (PGlite's `loadDataDir`), when a current one is installed. */
export function templateForMemory(): Blob | undefined {
  return templateIsCurrent() ? new Blob([readFileSync(TEMPLATE_ARCHIVE)], { type: 'application/x-gzip' }) : undefined;
}

/**
 * Unpacks the migrated template into `directory` (which holds no database yet, and whose lock the caller holds).
 * Returns false when no current template is installed: PGlite then runs initdb.
 */
export async function unpackTemplate(directory: string): Promise<boolean> {
  const marker = join(directory, UNPACKING_MARKER);
  // Whatever an interrupted unpacking left (the marker too) is ours to remove, also when no template is left to
  // unpack again and initdb runs instead; the lock, its owner and a bootstrap token file stay.
  if (existsSync(marker)) {
    for (const entry of readdirSync(directory)) {
      if (!KEPT_ENTRIES.has(entry)) rmSync(join(directory, entry), { recursive: true, force: true });
    }
  }
  if (!templateIsCurrent()) return false;
  writeFileSync(marker, '', { mode: 0o600 });
  const { extract } = await import('tar');
  // The archive holds files 0600 and directories 0700 (see the build), which no umask widens. Synchronous: a third
  // less CPU than tar's streams, and the start waits for the database anyway.
  extract({ file: TEMPLATE_ARCHIVE, cwd: directory, strict: true, sync: true });
  rmSync(marker);
  return true;
}
