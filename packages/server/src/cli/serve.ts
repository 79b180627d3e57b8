import { loadConfig } from '../config';
import type { Database } from '../db/client';
import { openMigratedDatabase } from '../db/open-migrated';
import { createLogger } from '../logger';
import type { RunningServer } from '../server';
import { noteLogLevel, onShutdownSignal } from './lifecycle';

/*
 * `flagline serve`. It imports only what opening the database needs, starts opening it, and imports the rest of the
 * server (its routes, OpenAPI schemas, background jobs) while the embedded database's WebAssembly compiles on
 * V8's background threads: a restart's two largest costs overlap instead of adding up.
 */
export async function serve(): Promise<void> {
  const config = loadConfig();
  noteLogLevel(config.logLevel);
  const logger = createLogger(config.logLevel);
  const opening: Promise<Database> = openMigratedDatabase(config, logger);
  let starting: Promise<RunningServer> | undefined;
  // The handler goes in before the start finishes: /readyz answers as soon as the port is bound, while the bootstrap
  // token and the background jobs are still starting, and a SIGTERM then must stop gracefully, not kill — nor, while
  // the server is still loading, leave the database's lock behind.
  onShutdownSignal(logger, 'shutting down', async () =>
    starting ? (await starting).close() : (await opening).close(),
  );
  const importing = import('../server');
  let startServer: typeof import('../server').startServer;
  try {
    // A database that cannot be opened (locked by another process, not writable) fails the start at once.
    [{ startServer }] = await Promise.all([importing, opening]);
  } catch (error) {
    importing.catch(() => {});
    await opening.then((database) => database.close()).catch(() => {});
    throw error;
  }
  starting = startServer(config, logger, opening);
  await starting;
}
