import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../packages/server/test/helpers/processes';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries on this machine (Debian keeps them in /usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0]) throw new Error(`no PostgreSQL server binaries under ${root} (Debian package postgresql)`);
  return join(root, majors[0], 'bin');
}

/**
 * A PostgreSQL server of the harness's own, in a temporary directory on a free port: it can be stopped, crashed and
 * restarted without touching the machine's shared server (which other work may be using). PostgreSQL refuses to run
 * as root, so as root it runs as the `postgres` user.
 */
export class PrivateCluster {
  private constructor(
    private readonly directory: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string | undefined,
  ) {}

  static async create(): Promise<PrivateCluster> {
    const bin = postgresBinDir();
    const directory = mkdtempSync(join(tmpdir(), 'flagline-chaos-pg-'));
    const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
    if (asUser) {
      const uid = Number((await run('id', ['-u', asUser])).stdout.trim());
      const gid = Number((await run('id', ['-g', asUser])).stdout.trim());
      chownSync(directory, uid, gid);
    }
    const cluster = new PrivateCluster(directory, await freePort(), bin, asUser);
    await cluster.pg('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return join(this.directory, 'data');
  }

  private async pg(command: string, args: string[]): Promise<string> {
    const binary = join(this.bin, command);
    const [file, argv] = this.asUser ? ['runuser', ['-u', this.asUser, '--', binary, ...args]] : [binary, args];
    try {
      return (await run(file, argv, { timeout: 120_000 })).stdout;
    } catch (error) {
      throw new Error(`${command} failed: ${String(error)}\n${this.log().slice(-2_000)}`);
    }
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.directory}`,
      '-c max_connections=300',
      '-c shared_buffers=256MB',
    ].join(' ');
    await this.pg('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.directory, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** fast: a clean shutdown (sessions are terminated, as in a restart for maintenance); immediate: a crash, recovered from the WAL at the next start. */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`create database ${pg.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  log(): string {
    const path = join(this.directory, 'server.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.directory, { recursive: true, force: true });
  }
}
