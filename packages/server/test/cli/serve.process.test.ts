import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AuditEvent, CreatedToken, FlagView, Token } from '@flagline/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN_FILE } from '../../src/tokens/bootstrap-token';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import {
  FLAGLINE_BIN,
  type FlaglineProcess,
  freePort,
  killAllFlaglines,
  PROCESS_TIMEOUT_MS,
  runFlagline,
  type StartedServer,
  startServe,
} from '../helpers/processes';

const ADMIN_TOKEN = 'process-test-admin-token-0123456789';
/** The lock is a directory whose mtime its holder refreshes; the owner file only names the holder for messages. */
const LOCK_FILE = 'flagline.lock';
const OWNER_FILE = 'flagline.owner';
/** A generated API token: `fl_` and 32 random bytes in base64url. */
const TOKEN_PATTERN = /fl_[A-Za-z0-9_-]{43}/g;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface ApiResponse<T> {
  status: number;
  body: T;
}

async function api<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Log lines may reach the pipe after the first health check answers. */
async function waitForOutput(flagline: FlaglineProcess, pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(flagline.stdout()) && Date.now() < deadline) await sleep(20);
  return flagline.stdout();
}

/** The token is minted once the server listens, so the file may appear just after the first health check. */
async function waitForBootstrapFile(file: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) && Date.now() < deadline) await sleep(20);
  return readFileSync(file, 'utf8').trim();
}

function tempDataDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `flagline-${label}-`));
}

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not spawn a short-lived process');
  return child.pid;
}

const dataDirs: string[] = [];
afterAll(async () => {
  await killAllFlaglines();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('embedded database: one process per data dir', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dataDir = tempDataDir('lock');
    dataDirs.push(dataDir);
    env = { FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(killAllFlaglines);

  it(
    'a second serve or migrate on a data dir in use exits 1 with a clear message; the first keeps serving',
    async () => {
      const first = await startServe(env);
      expect(statSync(join(dataDir, LOCK_FILE)).isDirectory()).toBe(true);
      expect(readFileSync(join(dataDir, OWNER_FILE), 'utf8')).toContain(`pid ${first.flagline.pid} `);
      expect((await api(first.url, 'POST', '/api/admin/flags', ADMIN_TOKEN, { key: 'before-second' })).status).toBe(
        201,
      );

      // Each of these would open the embedded database; all three must refuse, at once and without touching it.
      const commands = [['serve'], ['migrate'], ['token', 'list']];
      const seconds = await Promise.all(
        commands.map(async (args) => runFlagline(args, { ...env, PORT: String(await freePort()) })),
      );
      seconds.forEach((second, index) => {
        const label = `flagline ${commands[index]?.join(' ')}`;
        expect(second.code, label).toBe(1);
        expect(second.stderr, label).toContain(
          `FLAGLINE_DATA_DIR: the embedded database at ${resolve(dataDir)} is in use`,
        );
        expect(second.stderr, label).toContain(`pid ${first.flagline.pid}`);
        expect(second.stderr, label).toContain('DATABASE_URL');
        expect(second.stderr, label).not.toMatch(/\n\s+at /);
      });

      expect(first.flagline.hasExited()).toBe(false);
      expect(readFileSync(join(dataDir, OWNER_FILE), 'utf8')).toContain(`pid ${first.flagline.pid} `);
      expect((await api(first.url, 'GET', '/readyz', null)).status).toBe(200);
      expect((await api(first.url, 'POST', '/api/admin/flags', ADMIN_TOKEN, { key: 'after-second' })).status).toBe(201);

      expect(await first.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

      const next = await startServe(env);
      const flags = await api<{ items: FlagView[] }>(next.url, 'GET', '/api/admin/flags', ADMIN_TOKEN);
      expect(flags.body.items.map((flag) => flag.key).sort()).toEqual(['after-second', 'before-second']);
      expect(await next.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    4 * PROCESS_TIMEOUT_MS,
  );

  it(
    "an older version's lock file (a pid file) naming a process that no longer runs is taken over",
    async () => {
      writeFileSync(join(dataDir, LOCK_FILE), String(deadPid()));
      const migrate = await runFlagline(['migrate'], env);
      expect(migrate.stderr).toBe('');
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toContain('Migrations applied.');
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'after a crash (SIGKILL) the next start takes the stale lock over and the data is intact',
    async () => {
      const crashing = await startServe(env);
      expect((await api(crashing.url, 'POST', '/api/admin/flags', ADMIN_TOKEN, { key: 'survives-crash' })).status).toBe(
        201,
      );
      await crashing.flagline.stop('SIGKILL');
      expect(statSync(join(dataDir, LOCK_FILE)).isDirectory()).toBe(true);

      const restarted = await startServe(env);
      const flag = await api<FlagView>(restarted.url, 'GET', '/api/admin/flags/survives-crash', ADMIN_TOKEN);
      expect(flag.status).toBe(200);
      expect(readFileSync(join(dataDir, OWNER_FILE), 'utf8')).toContain(`pid ${restarted.flagline.pid} `);
      expect(await restarted.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    'a serve that cannot bind its port exits 1 naming PORT, and leaves the data dir unlocked',
    async () => {
      const blocker = createServer();
      await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
      try {
        const { port } = blocker.address() as AddressInfo;
        const result = await runFlagline(['serve'], { ...env, PORT: String(port) });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`PORT: 127.0.0.1:${port} is already in use`);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
      } finally {
        await new Promise<void>((done) => blocker.close(() => done()));
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );
});

describe('first start: the bootstrap admin token', () => {
  afterAll(killAllFlaglines);

  it(
    'without a terminal, is written to a 0600 file in the data dir whose path is logged, never into the output',
    async () => {
      const dataDir = tempDataDir('bootstrap');
      dataDirs.push(dataDir);
      const first = await startServe({ FLAGLINE_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      const file = join(dataDir, BOOTSTRAP_TOKEN_FILE);
      const token = await waitForBootstrapFile(file);
      expect(token).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await waitForOutput(first.flagline, /bootstrap-admin-token/);
      expect(first.flagline.stdout()).toContain(file);
      expect(first.flagline.stdout()).not.toMatch(TOKEN_PATTERN);
      expect(first.flagline.stderr()).not.toMatch(TOKEN_PATTERN);

      expect((await api(first.url, 'GET', '/api/admin/flags', null)).status).toBe(401);
      expect((await api(first.url, 'POST', '/api/admin/flags', token, { key: 'bootstrapped' })).status).toBe(201);
      const tokens = await api<{ items: Token[] }>(first.url, 'GET', '/api/admin/tokens', token);
      expect(tokens.body.items).toEqual([
        expect.objectContaining({ name: 'bootstrap admin', role: 'admin', revokedAt: null }),
      ]);
      const audit = await api<{ items: AuditEvent[] }>(first.url, 'GET', '/api/admin/audit?type=token.created', token);
      expect(audit.body.items.map((event) => event.actor.type)).toEqual(['system']);
      expect(await first.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      rmSync(file);
      const second = await startServe({ FLAGLINE_DATA_DIR: dataDir });
      await sleep(200);
      expect(existsSync(file)).toBe(false);
      expect(second.flagline.stdout()).not.toMatch(/fl_/);
      const flag = await api<FlagView>(second.url, 'GET', '/api/admin/flags/bootstrapped', token);
      expect(flag.status).toBe(200);
      const after = await api<{ items: Token[] }>(second.url, 'GET', '/api/admin/tokens', token);
      expect(after.body.items).toHaveLength(1);
      expect(await second.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    'on a terminal, is shown on stderr in a banner, and neither the log stream nor a file gets it',
    async () => {
      const dataDir = tempDataDir('bootstrap-tty');
      dataDirs.push(dataDir);
      const port = await freePort();
      const stdoutFile = join(dataDir, 'stdout.log');
      // `script` gives the child a pseudo-terminal; stdout alone is redirected, so the terminal sees only stderr.
      const pidFile = join(dataDir, 'serve.pid');
      // `exec` keeps the shell's pid, so the pid written first is the server's.
      const command = `echo $$ > '${pidFile}'; exec '${process.execPath}' '${FLAGLINE_BIN}' serve > '${stdoutFile}'`;
      const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
        env: { ...process.env, FLAGLINE_DATA_DIR: join(dataDir, 'data'), PORT: String(port), LOG_LEVEL: 'info' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let screen = '';
      terminal.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
      });
      const exited = new Promise((done) => terminal.once('close', done));
      try {
        const deadline = Date.now() + PROCESS_TIMEOUT_MS;
        while (!TOKEN_PATTERN.test(screen) && Date.now() < deadline) await sleep(50);
        TOKEN_PATTERN.lastIndex = 0;
        const printed = screen.match(TOKEN_PATTERN) ?? [];
        expect(printed, screen).toHaveLength(1);
        expect(screen).toContain('shown only this once');
        const url = `http://127.0.0.1:${port}`;
        const created = await api(url, 'POST', '/api/admin/flags', printed[0] ?? '', { key: 'from-terminal' });
        expect(created.status).toBe(201);
        expect(readFileSync(stdoutFile, 'utf8')).toContain('Flagline listening');
        expect(readFileSync(stdoutFile, 'utf8')).not.toMatch(/fl_/);
        expect(existsSync(join(dataDir, 'data', BOOTSTRAP_TOKEN_FILE))).toBe(false);
      } finally {
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
        try {
          if (pid) process.kill(pid, 'SIGTERM');
          else terminal.kill('SIGKILL');
        } catch {
          terminal.kill('SIGKILL'); // the server had already exited
        }
        await exited;
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'is not minted when the port is busy: the start fails and leaves no token behind',
    async () => {
      const dataDir = tempDataDir('bootstrap-busy');
      dataDirs.push(dataDir);
      const blocker = createServer();
      await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
      try {
        const { port } = blocker.address() as AddressInfo;
        const result = await runFlagline(['serve'], { FLAGLINE_DATA_DIR: dataDir, PORT: String(port) });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('already in use');
        expect(`${result.stdout}${result.stderr}`).not.toMatch(/fl_/);
      } finally {
        await new Promise<void>((done) => blocker.close(() => done()));
      }
      expect(existsSync(join(dataDir, BOOTSTRAP_TOKEN_FILE))).toBe(false);
      const listed = await runFlagline(['token', 'list'], { FLAGLINE_DATA_DIR: dataDir });
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual([]);
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'is not created when FLAGLINE_ADMIN_TOKEN is set',
    async () => {
      const dataDir = tempDataDir('no-bootstrap');
      dataDirs.push(dataDir);
      const server = await startServe({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      await sleep(200);
      expect(server.flagline.stdout()).not.toMatch(/fl_/);
      const tokens = await api<{ items: Token[] }>(server.url, 'GET', '/api/admin/tokens', ADMIN_TOKEN);
      expect(tokens.status).toBe(200);
      expect(tokens.body.items).toEqual([]);
      expect(await server.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    2 * PROCESS_TIMEOUT_MS,
  );
});

describe('flagline token create | list | revoke', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let ci: CreatedToken;
  let edge: CreatedToken;
  beforeAll(() => {
    dataDir = tempDataDir('tokens');
    dataDirs.push(dataDir);
    env = { FLAGLINE_DATA_DIR: dataDir };
  });
  afterAll(killAllFlaglines);

  const listTokens = async (): Promise<Token[]> => {
    const listed = await runFlagline(['token', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout) as Token[];
  };

  it(
    'creates tokens and shows each secret once',
    async () => {
      const created = await runFlagline(['token', 'create', '--name', 'ci', '--role', 'viewer'], env);
      expect(created.code, created.stderr).toBe(0);
      ci = JSON.parse(created.stdout) as CreatedToken;
      expect(ci).toMatchObject({ name: 'ci', role: 'viewer', environment: null, revokedAt: null });
      expect(ci.secret).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
      expect(created.stderr).toContain('shown only this once');

      const client = await runFlagline(
        ['token', 'create', '--name', 'edge', '--role', 'client', '--environment', 'development'],
        env,
      );
      expect(client.code, client.stderr).toBe(0);
      edge = JSON.parse(client.stdout) as CreatedToken;
      expect(edge).toMatchObject({ name: 'edge', role: 'client', environment: 'development' });
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    'lists tokens without secrets or hashes',
    async () => {
      const tokens = await listTokens();
      expect(tokens.map((token) => token.id).sort()).toEqual([ci.id, edge.id].sort());
      for (const token of tokens) {
        expect(token).not.toHaveProperty('secret');
        expect(token).not.toHaveProperty('tokenHash');
        expect(JSON.stringify(token)).not.toContain('fl_');
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'revokes a token by id',
    async () => {
      const revoked = await runFlagline(['token', 'revoke', ci.id], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`Revoked ${ci.id}.`);
      const tokens = await listTokens();
      expect(tokens.find((token) => token.id === ci.id)?.revokedAt).toEqual(expect.any(String));
      expect(tokens.find((token) => token.id === edge.id)?.revokedAt).toBeNull();
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    'rejects bad input with exit 1 and a sentence naming the problem',
    async () => {
      const badRole = await runFlagline(['token', 'create', '--name', 'x', '--role', 'superuser'], env);
      expect(badRole.code).toBe(1);
      expect(badRole.stderr).toContain('--role');
      const unknown = await runFlagline(['token', 'revoke', '00000000-0000-4000-8000-000000000000'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/not found/);
      expect(unknown.stderr).not.toMatch(/\n\s+at /);
    },
    3 * PROCESS_TIMEOUT_MS,
  );

  it(
    "the server honours the CLI's tokens: revoked → 401, client → its own environment",
    async () => {
      const server = await startServe({ ...env, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      expect((await api(server.url, 'GET', '/api/admin/flags', ci.secret)).status).toBe(401);
      expect((await api(server.url, 'POST', '/api/admin/flags', ADMIN_TOKEN, { key: 'cli-check' })).status).toBe(201);
      const evaluated = await api<Record<string, boolean>>(
        server.url,
        'GET',
        '/api/config/flags?userId=u',
        edge.secret,
      );
      expect(evaluated).toEqual({ status: 200, body: { 'cli-check': false } });
      expect((await api(server.url, 'GET', '/api/admin/flags', edge.secret)).status).toBe(403);

      const audit = await api<{ items: AuditEvent[] }>(server.url, 'GET', '/api/admin/audit?limit=100', ADMIN_TOKEN);
      const tokenEvents = audit.body.items.filter((event) => event.type.startsWith('token.'));
      expect(tokenEvents.map((event) => event.type).sort()).toEqual([
        'token.created',
        'token.created',
        'token.revoked',
      ]);
      for (const event of tokenEvents) {
        expect(event.actor.type).toBe('system');
        expect(event.actor.id).toMatch(/^cli:/);
      }
      expect(await server.flagline.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    2 * PROCESS_TIMEOUT_MS,
  );
});

describe.each(postgresBackends())('two flagline serve processes on one PostgreSQL (%s)', () => {
  let database: { url: string; drop(): Promise<void> };
  let a: StartedServer;
  let b: StartedServer;
  beforeAll(async () => {
    database = await createPostgresDatabase();
  });
  afterAll(async () => {
    await killAllFlaglines();
    await database?.drop();
  });

  it(
    'start at the same time on an empty database: migrations apply once and both serve',
    async () => {
      const env = { DATABASE_URL: database.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN };
      // B polls the config version only once a minute: agreeing within a second has to come from NOTIFY.
      const [startedA, startedB, migrate] = await Promise.all([
        startServe(env),
        startServe({ ...env, SNAPSHOT_POLL_MS: '60000' }),
        runFlagline(['migrate'], env),
      ]);
      a = startedA;
      b = startedB;
      expect(migrate.code, migrate.stderr).toBe(0);
      for (const server of [a, b]) {
        const ready = await api<{ database: string }>(server.url, 'GET', '/readyz', null);
        expect(ready.status).toBe(200);
        expect(ready.body.database).toBe('postgres');
      }

      const journal = JSON.parse(
        readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8'),
      ) as {
        entries: unknown[];
      };
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const migrations = await client.query<{ count: string }>('select count(*) from drizzle.__drizzle_migrations');
        expect(Number(migrations.rows[0]?.count)).toBe(journal.entries.length);
        const environments = await client.query<{ key: string }>('select key from environments order by key');
        expect(environments.rows.map((row) => row.key)).toEqual(['development', 'production']);
        const state = await client.query('select * from config_state');
        expect(state.rowCount).toBe(1);
      } finally {
        await client.end();
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'every change made through A is served by B within a second',
    async () => {
      const created = await api<CreatedToken>(a.url, 'POST', '/api/admin/tokens', ADMIN_TOKEN, {
        name: 'sdk',
        role: 'client',
        environment: 'production',
      });
      expect(created.status).toBe(201);
      const clientToken = created.body.secret;
      const flagPath = '/api/admin/flags/propagation';
      const steps: { name: string; method: string; path: string; body?: unknown; expected: boolean | undefined }[] = [
        { name: 'create', method: 'POST', path: '/api/admin/flags', body: { key: 'propagation' }, expected: false },
        {
          name: 'enable at 100%',
          method: 'PATCH',
          path: flagPath,
          body: { enabled: true, rolloutPercentage: 100 },
          expected: true,
        },
        {
          name: 'exclude u',
          method: 'POST',
          path: `${flagPath}/users`,
          body: { userId: 'u', overrideType: 'exclude' },
          expected: false,
        },
        { name: 'remove override', method: 'DELETE', path: `${flagPath}/users/u`, expected: true },
        { name: 'roll back to 0%', method: 'PATCH', path: flagPath, body: { rolloutPercentage: 0 }, expected: false },
        {
          name: 'include u',
          method: 'POST',
          path: `${flagPath}/users`,
          body: { userId: 'u', overrideType: 'include' },
          expected: true,
        },
        { name: 'kill switch', method: 'PATCH', path: flagPath, body: { enabled: false }, expected: false },
        { name: 'delete', method: 'DELETE', path: flagPath, expected: undefined },
      ];
      const evaluate = async (server: StartedServer) =>
        (await api<Record<string, boolean>>(server.url, 'GET', '/api/config/flags?userId=u', clientToken)).body;

      const timings: { change: string; sinceRequestMs: number; sinceResponseMs: number; polls: number }[] = [];
      for (const step of steps) {
        const requested = performance.now();
        const response = await api(a.url, step.method, step.path, ADMIN_TOKEN, step.body);
        const responded = performance.now();
        expect(response.status, `${step.name}: ${JSON.stringify(response.body)}`).toBeLessThan(300);

        let polls = 0;
        let onB = await evaluate(b);
        while (onB.propagation !== step.expected && performance.now() - requested < 5_000) {
          await sleep(10);
          polls++;
          onB = await evaluate(b);
        }
        const agreed = performance.now();
        // The instance that made the change serves it at once, and B now serves exactly what A does.
        const onA = await evaluate(a);
        expect(onA.propagation, step.name).toBe(step.expected);
        expect(onB, step.name).toEqual(onA);
        timings.push({
          change: step.name,
          sinceRequestMs: Math.round(agreed - requested),
          sinceResponseMs: Math.round(agreed - responded),
          polls,
        });
      }
      console.info('B agreed with A after (ms):');
      console.table(timings);
      for (const timing of timings) expect(timing.sinceRequestMs, timing.change).toBeLessThan(1000);
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'instances starting together on an empty database mint one bootstrap admin token between them',
    async () => {
      const fresh = await createPostgresDatabase();
      const dirs = [1, 2, 3].map(() => tempDataDir('bootstrap-pg'));
      dataDirs.push(...dirs);
      try {
        const servers = await Promise.all(
          dirs.map((dir) => startServe({ DATABASE_URL: fresh.url, FLAGLINE_DATA_DIR: dir })),
        );
        await sleep(500);
        const files = dirs.map((dir) => join(dir, BOOTSTRAP_TOKEN_FILE)).filter((file) => existsSync(file));
        expect(files).toHaveLength(1);
        const token = readFileSync(files[0] ?? '', 'utf8').trim();
        for (const server of servers) expect(server.flagline.stdout()).not.toMatch(/fl_/);
        const tokens = await api<{ items: Token[] }>(servers[0]?.url ?? '', 'GET', '/api/admin/tokens', token);
        expect(tokens.status).toBe(200);
        expect(tokens.body.items.map((item) => item.name)).toEqual(['bootstrap admin']);
        await Promise.all(servers.map((server) => server.flagline.stop('SIGTERM')));
      } finally {
        await fresh.drop();
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it(
    'a bootstrap token that cannot be written out is rolled back: the start fails with one line, no token exists',
    async () => {
      const fresh = await createPostgresDatabase();
      const dataDir = tempDataDir('bootstrap-unwritable');
      dataDirs.push(dataDir);
      // A directory where the file should go: unwritable even for root.
      mkdirSync(join(dataDir, BOOTSTRAP_TOKEN_FILE));
      try {
        const result = await runFlagline(['serve'], {
          DATABASE_URL: fresh.url,
          FLAGLINE_DATA_DIR: dataDir,
          PORT: String(await freePort()),
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('FLAGLINE_DATA_DIR: cannot write the first admin token');
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(`${result.stdout}${result.stderr}`).not.toMatch(/fl_[A-Za-z0-9_-]{43}/);
        const client = new pg.Client({ connectionString: fresh.url });
        await client.connect();
        try {
          const tokens = await client.query('select count(*)::int as count from api_tokens');
          expect(tokens.rows[0]).toEqual({ count: 0 });
        } finally {
          await client.end();
        }
      } finally {
        await fresh.drop();
      }
    },
    2 * PROCESS_TIMEOUT_MS,
  );

  it('both stop cleanly on SIGTERM', async () => {
    const exits = await Promise.all([a.flagline.stop('SIGTERM'), b.flagline.stop('SIGTERM')]);
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  }, 30_000);
});
