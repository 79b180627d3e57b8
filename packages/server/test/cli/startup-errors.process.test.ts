import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { freePort, killAllFlaglines, PROCESS_TIMEOUT_MS, runFlagline, startServe } from '../helpers/processes';
import { pipeToTarget } from '../helpers/relay';

/** The bound: a start-up that cannot succeed says so and exits within 10 s. */
const EXIT_WITHIN_MS = 10_000;
const ADMIN_TOKEN = 'startup-errors-admin-token-0123456789abcdef';

const scratch = mkdtempSync(join(tmpdir(), 'flagline-startup-'));
const mounts: string[] = [];
afterAll(async () => {
  await killAllFlaglines();
  for (const mount of mounts) execFileSync('umount', [mount]);
  rmSync(scratch, { recursive: true, force: true });
});

interface Failure {
  line: string;
  elapsedMs: number;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, Math.round(performance.now() - started)];
}

/**
 * Runs `flagline serve`, which must fail: exit 1 within the bound, one line on stderr, no stack trace. The bound is
 * on what serve does after the CLI has booted: `flagline help`, timed just before under the same machine load, is the
 * boot (Node and the TypeScript loader), which on two shared cores alone has taken several seconds.
 */
async function failingServe(env: Record<string, string>): Promise<Failure> {
  const [help, bootMs] = await timed(() => runFlagline(['help'], {}, 60_000));
  expect(help.code).toBe(0);
  const [result, elapsedMs] = await timed(async () =>
    runFlagline(['serve'], { PORT: String(await freePort()), ...env }, 60_000),
  );
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 1 });
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(elapsedMs - bootMs, `${elapsedMs} ms in all, ${bootMs} ms to boot; ${result.stderr}`).toBeLessThan(
    EXIT_WITHIN_MS,
  );
  return { line: lines[0] ?? '', elapsedMs };
}

describe('start-up errors: one line naming the variable and the cause, exit 1 within 10 s', () => {
  it(
    'an unreachable PostgreSQL is retried for DATABASE_CONNECT_TIMEOUT_MS, then named',
    async () => {
      const closedPort = await freePort();
      const { line, elapsedMs } = await failingServe({
        DATABASE_URL: `postgres://postgres:secret-password@127.0.0.1:${closedPort}/flagline`,
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
      });
      expect(line).toMatch(
        new RegExp(
          `^flagline: DATABASE_URL: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closedPort} \\(database flagline\\): connect ECONNREFUSED .*; gave up after [0-9.]+ s of retries \\(DATABASE_CONNECT_TIMEOUT_MS=1500\\)\\.$`,
        ),
      );
      expect(line).not.toContain('secret-password');
      expect(elapsedMs).toBeGreaterThanOrEqual(1500);
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'a data directory under a file',
    async () => {
      const file = join(scratch, 'a-file');
      writeFileSync(file, 'not a directory');
      const { line } = await failingServe({ FLAGLINE_DATA_DIR: join(file, 'data') });
      expect(line).toBe(
        `flagline: FLAGLINE_DATA_DIR: cannot use ${join(file, 'data')}: part of that path is a file, not a directory (ENOTDIR).`,
      );
    },
    PROCESS_TIMEOUT_MS,
  );

  it.runIf(existsSync('/proc/self'))(
    'a data directory in /proc, new or existing',
    async () => {
      for (const dataDir of ['/proc/flagline-data', '/proc/self']) {
        const { line } = await failingServe({ FLAGLINE_DATA_DIR: dataDir });
        expect(line).toBe(
          `flagline: FLAGLINE_DATA_DIR: ${dataDir} is on the kernel's proc filesystem, not on storage.`,
        );
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'a non-empty directory that is not a Flagline data directory is refused, and left as it was',
    async () => {
      const dataDir = join(scratch, 'documents');
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, 'notes.txt'), 'keep me');
      const { line } = await failingServe({ FLAGLINE_DATA_DIR: dataDir });
      expect(line).toBe(
        `flagline: FLAGLINE_DATA_DIR: ${dataDir} is not empty and is not a Flagline data directory (it holds notes.txt); point FLAGLINE_DATA_DIR at a new or empty directory.`,
      );
      expect(execFileSync('ls', ['-A', dataDir], { encoding: 'utf8' }).trim()).toBe('notes.txt');
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'a data directory that cannot be written',
    async () => {
      const parent = join(scratch, 'read-only');
      mkdirSync(parent);
      if (process.getuid?.() === 0) {
        // Root writes through any permission bits: a read-only filesystem stops it.
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', parent]);
        mounts.push(parent);
      } else {
        chmodSync(parent, 0o500);
      }
      const dataDir = join(parent, 'data');
      const { line } = await failingServe({ FLAGLINE_DATA_DIR: dataDir });
      expect(line).toMatch(
        new RegExp(
          `^flagline: FLAGLINE_DATA_DIR: ${dataDir} (is not writable by this user \\(EACCES\\)|is on a read-only filesystem \\(EROFS\\))`,
        ),
      );
    },
    PROCESS_TIMEOUT_MS,
  );

  describe('a damaged data directory', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = join(scratch, 'damaged');
      const database = await openDatabase({ dataDir });
      await runMigrations(database);
      await database.close();
      // PostgreSQL's control file, overwritten: what a bad disk or a half-copied backup leaves.
      writeFileSync(join(dataDir, 'global', 'pg_control'), Buffer.alloc(512, 0x5a));
    }, PROCESS_TIMEOUT_MS);

    it(
      'is named in one line; with LOG_LEVEL=debug the stack follows',
      async () => {
        const { line } = await failingServe({ FLAGLINE_DATA_DIR: dataDir });
        expect(line).toMatch(
          new RegExp(`^flagline: FLAGLINE_DATA_DIR: the embedded database at ${dataDir} could not be opened`),
        );
        const debug = await runFlagline(['serve'], { FLAGLINE_DATA_DIR: dataDir, LOG_LEVEL: 'debug' }, 60_000);
        expect(debug.code).toBe(1);
        expect(debug.stderr.split('\n')[0]).toBe(line);
        expect(debug.stderr).toMatch(/\n\s+at /);
      },
      PROCESS_TIMEOUT_MS,
    );
  });
});

/**
 * A TCP relay to PostgreSQL that hangs up on every connection until it is switched on: a database that is not up yet
 * when Flagline starts. It counts the attempts it turned away.
 */
class LateRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  up = false;
  refused = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (!this.up) {
        this.refused++;
        client.destroy();
        return;
      }
      pipeToTarget(client, this.target, this.sockets);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(postgresBackends())('start-up against PostgreSQL (%s)', () => {
  it(
    'an unknown role fails at once (no retrying), naming DATABASE_URL and the role',
    async () => {
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      url.username = 'flagline_no_such_role';
      const { line } = await failingServe({ DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_MS: '60000' });
      expect(line).toMatch(
        /^flagline: DATABASE_URL: PostgreSQL at .+ refused the login: .*role "flagline_no_such_role" does not exist.* \(SQLSTATE 28000\)\.$/,
      );
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'a PostgreSQL that comes up while Flagline retries is used: start-up succeeds',
    async () => {
      const database = await createPostgresDatabase();
      const target = new URL(database.url);
      const relay = new LateRelay({ host: target.hostname, port: Number(target.port || 5432) });
      const viaRelay = new URL(database.url);
      viaRelay.host = `127.0.0.1:${await relay.listen()}`;
      // Switched on once Flagline has been turned away twice, so start-up has really had to retry.
      const switchOn = setInterval(() => {
        if (relay.refused >= 2) relay.up = true;
      }, 20);
      try {
        const server = await startServe({
          DATABASE_URL: viaRelay.toString(),
          DATABASE_CONNECT_TIMEOUT_MS: '60000',
          FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
        });
        expect(relay.refused).toBeGreaterThanOrEqual(2);
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await server.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        clearInterval(switchOn);
        await relay.close();
        await database.drop();
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});
