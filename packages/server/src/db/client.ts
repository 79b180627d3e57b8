import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { StartupError } from '../config';
import { describeFileError, OwnerOnlyNodeFS, prepareDataDir, UNPACKING_MARKER } from './data-dir';
import { templateForMemory, unpackTemplate } from './data-dir-template';
import { acquireDataDirLock, type DataDirLock } from './lock';
import { connectionProblem, rootMessage } from './problems';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything queries can run on: the database or an open transaction. */
export type Executor = Db | Tx;

export type Unlisten = () => Promise<void>;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Receives NOTIFY payloads on `channel` (delivered when the notifying transaction commits). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** Postgres pool size per process. */
  poolSize?: number;
  onConnectionError?: (error: Error) => void;
  /** How long to keep retrying a PostgreSQL that cannot be reached before giving up (default 5 s). */
  connectTimeoutMs?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options.dataDir ?? './.flagline', options);
}

async function openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  if (dataDir === 'memory:') {
    const template = templateForMemory();
    return pgliteDatabase(new PGlite(template ? { loadDataDir: template } : {}), { release: async () => {} });
  }
  const directory = prepareDataDir(dataDir);
  let client: PGlite | undefined;
  const lock = await acquireDataDirLock(directory, (error) => {
    // Another process took the lock (ours looked stale) or it was deleted: stop writing rather than share the files.
    options.onConnectionError?.(
      new Error(`lost the lock on ${directory}; closing the embedded database`, { cause: error }),
    );
    if (client && !client.closed) void client.close().catch(() => {});
  }).catch((error: unknown) => {
    throw error instanceof StartupError ? error : describeFileError(directory, error);
  });
  try {
    if (existsSync(join(directory, UNPACKING_MARKER)) || !existsSync(join(directory, 'PG_VERSION'))) {
      await unpackTemplate(directory);
    }
  } catch (error) {
    await lock.release();
    throw describeFileError(directory, error);
  }
  try {
    client = new PGlite({ fs: new OwnerOnlyNodeFS(directory) });
    await client.waitReady;
  } catch (error) {
    await lock.release();
    throw new StartupError(
      'FLAGLINE_DATA_DIR',
      `the embedded database at ${directory} could not be opened (damaged or not writable?): ${rootMessage(error)}`,
      { cause: error },
    );
  }
  return pgliteDatabase(client, lock);
}

function pgliteDatabase(client: PGlite, lock: DataDirLock): Database {
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async listen(channel, onNotify) {
      const unlisten = await client.listen(channel, onNotify);
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    async close() {
      try {
        if (!client.closed) await client.close();
      } finally {
        await lock.release();
      }
    },
  };
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  await waitForPostgres(url, options.connectTimeoutMs ?? 5_000);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // A client that loses its connection must not crash the process (pg emits 'error' with no listener attached while a
  // client is checked out between queries, e.g. inside a transaction when the server restarts). Its next query fails,
  // the transaction rolls back, and the pool discards it on release.
  const onConnectionError = (error: Error) => options.onConnectionError?.(error);
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  const db = drizzleNodePg(pool, { schema }) as unknown as Db;
  const listeners = new Set<PostgresListener>();
  return {
    kind: 'postgres',
    db,
    async listen(channel, onNotify) {
      const listener = new PostgresListener(url, channel, onNotify, options.onConnectionError);
      await listener.start();
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()));
      await pool.end();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Start-up against a PostgreSQL that is not up yet (a container starting alongside, a failover) retries with backoff
 * until `timeoutMs`; a problem retrying cannot fix (unknown role, wrong password, no such database) fails at once.
 */
async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const remaining = timeoutMs - (Date.now() - started);
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: Math.max(1_000, Math.min(remaining, 5_000)),
    });
    client.on('error', () => {}); // a failure surfaces as connect()'s or query()'s rejection
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      const problem = connectionProblem(url, error);
      const elapsed = Date.now() - started;
      if (!problem.retry || elapsed >= timeoutMs) {
        const waited = problem.retry
          ? `; gave up after ${(elapsed / 1000).toFixed(1)} s of retries (DATABASE_CONNECT_TIMEOUT_MS=${timeoutMs})`
          : '';
        throw new StartupError('DATABASE_URL', `${problem.reason}${waited}.`, { cause: error });
      }
      await sleep(Math.min(250 * 2 ** attempt, 2_000, Math.max(0, timeoutMs - elapsed)));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** A dedicated connection for LISTEN, reconnecting with backoff; the snapshot's version poll covers the gap. */
class PostgresListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotify(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.onError?.(error);
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    this.client = client;
    this.attempt = 0;
  }

  private reconnectLater(failed: pg.Client): void {
    if (this.stopped || this.client !== failed || this.retryTimer) return;
    this.client = undefined;
    const delay = Math.min(30_000, 250 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start().catch((error: Error) => {
        this.onError?.(error);
        this.client = failed;
        this.reconnectLater(failed);
      });
    }, delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => {});
  }
}
