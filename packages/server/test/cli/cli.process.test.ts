import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreatedToken, Token } from '@flagline/core';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killAllFlaglines, PROCESS_TIMEOUT_MS, runFlagline } from '../helpers/processes';

/** The built bin, as a user runs it: these tests prove the CLI contract, not the server behind it. */
const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const dataDirs: string[] = [];
function emptyDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flagline-cli-'));
  dataDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await killAllFlaglines();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

const COMMANDS = [
  [],
  ['serve'],
  ['worker'],
  ['relay'],
  ['migrate'],
  ['schedules'],
  ['schedules', 'run-due'],
  ['token'],
  ['token', 'create'],
  ['token', 'list'],
  ['token', 'revoke'],
  ['audit'],
  ['audit', 'verify'],
  ['audit', 'export'],
  ['import'],
  ['import', 'unleash'],
];

describe('flagline --help and --version', () => {
  it(
    '--version prints the version from package.json and exits 0',
    async () => {
      for (const flag of ['--version', '-v']) {
        const result = await runFlagline([flag], {});
        expect(result).toMatchObject({ code: 0, stdout: `${packageVersion}\n`, stderr: '' });
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'every command has help, and --help never starts, migrates or mints anything',
    async () => {
      const dataDir = emptyDataDir();
      // A port nobody else uses: were serve to start, it would listen here and never exit (the run would time out).
      const env = { FLAGLINE_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'info' };
      for (const command of COMMANDS) {
        const label = `flagline ${[...command, '--help'].join(' ')}`;
        const result = await runFlagline([...command, '--help'], env, 60_000);
        expect(result.code, label).toBe(0);
        expect(result.stderr, label).toBe('');
        expect(result.stdout, label).toContain(`Usage: flagline${command.length ? ` ${command.join(' ')}` : ''}`);
      }
      // No database was opened: no migration ran, no lock was taken, no bootstrap token was written.
      expect(readdirSync(dataDir)).toEqual([]);
      const help = await runFlagline(['token', 'help', 'create'], env);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--role <role>');
    },
    4 * PROCESS_TIMEOUT_MS,
  );
});

describe('usage errors', () => {
  it(
    'an unknown option or command is one line on stderr and exit 2, and does nothing',
    async () => {
      const dataDir = emptyDataDir();
      const env = { FLAGLINE_DATA_DIR: dataDir, PORT: String(await freePort()) };
      const cases: [string[], string][] = [
        [['--bogus'], "unknown option '--bogus'"],
        [['serve', '--port', '80'], "unknown option '--port'"],
        [['migrate', '--bogus'], "unknown option '--bogus'"],
        [['token', 'create', '--name', 'x', '--role', 'viewer', '--bogus'], "unknown option '--bogus'"],
        [['token', 'create', '--role', 'viewer'], "required option '--name <name>' not specified"],
        [['token', 'revoke'], "missing required argument 'id'"],
        [['frobnicate'], "unknown command 'frobnicate'"],
        [['audit', 'export', '--out', '-', '--format', 'xml'], "'xml' is invalid"],
      ];
      for (const [args, message] of cases) {
        const label = `flagline ${args.join(' ')}`;
        const result = await runFlagline(args, env, 60_000);
        expect(result.code, label).toBe(2);
        expect(result.stdout, label).toBe('');
        expect(result.stderr, label).toContain(message);
        expect(result.stderr.trimEnd().split('\n'), label).toHaveLength(1);
      }
      expect(readdirSync(dataDir)).toEqual([]);
    },
    4 * PROCESS_TIMEOUT_MS,
  );
});

describe('output: results on stdout, logs on stderr', () => {
  it(
    'token create, token list and migrate print only their result on stdout, even at LOG_LEVEL=info',
    async () => {
      const env = { FLAGLINE_DATA_DIR: emptyDataDir(), LOG_LEVEL: 'info' };
      const created = await runFlagline(['token', 'create', '--name', 'ci', '--role', 'viewer', '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const token = JSON.parse(created.stdout) as CreatedToken;
      expect(token).toMatchObject({ name: 'ci', role: 'viewer' });
      // The audit event's log line is there, on stderr, and it never carries the secret.
      expect(created.stderr).toContain('"token.created"');
      expect(created.stderr).not.toContain(token.secret);

      const listed = await runFlagline(['token', 'list', '--json'], env);
      expect(listed.code, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as Token[]).map((item) => item.id)).toEqual([token.id]);

      const revoked = await runFlagline(['token', 'revoke', token.id, '--json'], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(JSON.parse(revoked.stdout)).toEqual({ revoked: token.id });
      expect(revoked.stderr).toContain('"token.revoked"');

      const frontend = await runFlagline(
        [
          'token',
          'create',
          '--name',
          'web',
          '--role',
          'frontend',
          '--environment',
          'production',
          '--allowed-origins',
          'https://app.example.com, http://localhost:5173',
          '--json',
        ],
        env,
      );
      expect(frontend.code, frontend.stderr).toBe(0);
      expect(JSON.parse(frontend.stdout)).toMatchObject({
        role: 'frontend',
        environment: 'production',
        allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      });

      const migrated = await runFlagline(['migrate', '--json'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(JSON.parse(migrated.stdout)).toEqual({ migrated: true });

      const verified = await runFlagline(['audit', 'verify', '--json'], env);
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, checked: 3 });
    },
    6 * PROCESS_TIMEOUT_MS,
  );

  it(
    'input the API would reject exits 1 with a sentence naming the option, not a stack trace',
    async () => {
      const env = { FLAGLINE_DATA_DIR: emptyDataDir() };
      const result = await runFlagline(['token', 'create', '--name', 'x', '--role', 'superuser'], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^flagline: --role: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
    PROCESS_TIMEOUT_MS,
  );
});
