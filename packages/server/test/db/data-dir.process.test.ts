import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client';
import { BOOTSTRAP_TOKEN_FILE, prepareDataDir, UNPACKING_MARKER } from '../../src/db/data-dir';
import { templateIsCurrent } from '../../src/db/data-dir-template';
import { runMigrations } from '../../src/db/migrate';
import { freePort, killAllFlaglines, PROCESS_TIMEOUT_MS, spawnFlagline, startServe } from '../helpers/processes';

const ADMIN_TOKEN = 'data-dir-test-admin-token-0123456789abcdef';
const LOCK_DIR = 'flagline.lock';
const OWNER_FILE = 'flagline.owner';

const dataDirs: string[] = [];
function tempDataDir(label: string): string {
  const parent = mkdtempSync(join(tmpdir(), `flagline-${label}-`));
  dataDirs.push(parent);
  return join(parent, 'data');
}

afterAll(async () => {
  await killAllFlaglines();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every path under `root` whose permission bits are not 0600 (files) or 0700 (directories). */
function tooOpen(root: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) found.push(`${path} ${mode.toString(8)}`);
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else if (stat.isFile() && mode !== 0o600) {
      found.push(`${path} ${mode.toString(8)}`);
    }
  };
  walk(root);
  return found;
}

/** `pg_relation_filepath` is relative to the data directory. */
async function relationFile(database: Awaited<ReturnType<typeof openDatabase>>, table: string): Promise<string> {
  const result = (await database.db.execute(sql`select pg_relation_filepath(${table}) as path`)) as unknown as {
    rows: Array<{ path: string }>;
  };
  const path = result.rows[0]?.path;
  if (!path) throw new Error(`no file for ${table}`);
  return path;
}

describe('the embedded database directory is for its owner only', () => {
  it(
    'is created 0700 with files 0600 whatever the umask, files created later too, and an old 0777/0666 one is tightened',
    async () => {
      const previousUmask = process.umask(0o000); // the loosest umask: nothing may depend on it
      const dataDir = tempDataDir('modes');
      try {
        const database = await openDatabase({ dataDir });
        try {
          await runMigrations(database);
          expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
          expect(tooOpen(dataDir)).toEqual([]);
          // New relation files, after start-up: a table, then a rewrite of it into a new file.
          await database.db.execute(sql`create table later_table (id int primary key, body text)`);
          await database.db.execute(
            sql`insert into later_table select g, repeat('x', 500) from generate_series(1, 2000) g`,
          );
          const first = await relationFile(database, 'later_table');
          await database.db.execute(sql`vacuum full later_table`);
          const rewritten = await relationFile(database, 'later_table');
          expect(rewritten).not.toBe(first);
          expect(lstatSync(join(dataDir, rewritten)).mode & 0o777).toBe(0o600);
          await database.db.execute(sql`checkpoint`);
        } finally {
          await database.close();
        }
        expect(tooOpen(dataDir)).toEqual([]);

        // A data dir written by an older version (or copied with loose modes) is tightened when opened.
        const loosen = (path: string) => {
          const isDirectory = lstatSync(path).isDirectory();
          chmodSync(path, isDirectory ? 0o777 : 0o666);
          if (isDirectory) for (const entry of readdirSync(path)) loosen(join(path, entry));
        };
        loosen(dataDir);
        expect(tooOpen(dataDir).length).toBeGreaterThan(100);
        const reopened = await openDatabase({ dataDir });
        try {
          const rows = (await reopened.db.execute(sql`select count(*)::int as n from later_table`)) as unknown as {
            rows: Array<{ n: number }>;
          };
          expect(rows.rows[0]?.n).toBe(2000);
        } finally {
          await reopened.close();
        }
        expect(tooOpen(dataDir)).toEqual([]);
      } finally {
        process.umask(previousUmask);
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});

describe('the data directory lock', () => {
  it(
    'two processes started at the same moment on a new directory: exactly one serves, the other exits 1 saying why',
    async () => {
      const dataDir = tempDataDir('race');
      const env = { FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN };
      const [portA, portB] = [await freePort(), await freePort()];
      const a = spawnFlagline(['serve'], { ...env, PORT: String(portA) });
      const b = spawnFlagline(['serve'], { ...env, PORT: String(portB) });
      const loser = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
      const winner = loser === a ? b : a;
      const winnerPort = winner === a ? portA : portB;
      expect(await loser.exited).toEqual({ code: 1, signal: null });
      const lines = loser.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `flagline: FLAGLINE_DATA_DIR: the embedded database at ${resolve(dataDir)} is in use by another Flagline process (pid ${winner.pid} on `,
      );
      expect(lines[0]).toContain('set DATABASE_URL to PostgreSQL');
      const deadline = Date.now() + PROCESS_TIMEOUT_MS;
      let status = 0;
      while (Date.now() < deadline && status !== 200 && !winner.hasExited()) {
        status = await fetch(`http://127.0.0.1:${winnerPort}/readyz`)
          .then((response) => response.status)
          .catch(() => 0);
        await new Promise((done) => setTimeout(done, 100));
      }
      expect(status, winner.stderr()).toBe(200);
      expect(await winner.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(existsSync(join(dataDir, LOCK_DIR))).toBe(false);
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'a lock left with the pid of an unrelated live process (a reused pid) does not block: it is stale by its mtime',
    async () => {
      const dataDir = tempDataDir('reused-pid');
      mkdirSync(join(dataDir, LOCK_DIR), { recursive: true });
      // This test runner is alive, and is not Flagline: exactly what a pid reused after a crash looks like.
      writeFileSync(join(dataDir, OWNER_FILE), `pid ${process.pid} on this host\n`);
      const aMinuteAgo = new Date(Date.now() - 60_000);
      utimesSync(join(dataDir, LOCK_DIR), aMinuteAgo, aMinuteAgo);
      const server = await startServe({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      expect(readFileSync(join(dataDir, OWNER_FILE), 'utf8')).toContain(`pid ${server.flagline.pid} `);
      expect(await server.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      // The same with an older version's pid file naming a live process that is not Flagline.
      writeFileSync(join(dataDir, LOCK_DIR), String(process.pid));
      const again = await startServe({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      expect(await again.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * PROCESS_TIMEOUT_MS,
  );
});

describe('what a data directory may already hold', () => {
  it('the bootstrap token file a first start on PostgreSQL left there: the embedded database starts in it later', () => {
    const dataDir = tempDataDir('bootstrap-left');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'fl_secret\n', { mode: 0o600 });
    expect(prepareDataDir(dataDir)).toBe(resolve(dataDir));
    expect(readFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'utf8')).toBe('fl_secret\n');
  });

  it('anything else still makes it foreign', () => {
    const dataDir = tempDataDir('foreign');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'fl_secret\n');
    writeFileSync(join(dataDir, 'notes.txt'), 'keep me');
    expect(() => prepareDataDir(dataDir)).toThrow(
      /is not empty and is not a Flagline data directory \(it holds notes\.txt\)/,
    );
  });

  it(
    'what a start killed while unpacking the migrated template left: unpacked again, the token file kept',
    async () => {
      // The build packs the template (vitest's global setup runs it); without one a first start runs initdb instead.
      expect(templateIsCurrent()).toBe(true);
      const dataDir = tempDataDir('unpacking');
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'fl_secret\n', { mode: 0o600 });
      writeFileSync(join(dataDir, UNPACKING_MARKER), '', { mode: 0o600 });
      mkdirSync(join(dataDir, 'base'), { mode: 0o700 });
      writeFileSync(join(dataDir, 'base', 'half-written'), 'x', { mode: 0o600 });
      const database = await openDatabase({ dataDir });
      try {
        await runMigrations(database);
        const result = (await database.db.execute(sql`select count(*)::int as count from environments`)) as unknown as {
          rows: Array<{ count: number }>;
        };
        expect(result.rows[0]?.count).toBe(2);
      } finally {
        await database.close();
      }
      expect(existsSync(join(dataDir, UNPACKING_MARKER))).toBe(false);
      expect(existsSync(join(dataDir, 'base', 'half-written'))).toBe(false);
      expect(readFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'utf8')).toBe('fl_secret\n');
      expect(tooOpen(dataDir)).toEqual([]);
    },
    PROCESS_TIMEOUT_MS,
  );
});
