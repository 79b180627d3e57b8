import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './app';
import type { AuditSealer } from './audit/sealer';
import { startAuditSealing } from './audit/sealing';
import { type BackgroundJobs, startBackgroundJobs } from './background/jobs';
import { type Config, ConfigError } from './config';
import type { Database } from './db/client';
import { createEvaluateFastPath } from './delivery/evaluate-fast-path';
import { startRuntime } from './runtime';
import { deliverBootstrapSecret, mintBootstrapAdminToken } from './tokens/bootstrap-token';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const isEventStream = (request: IncomingMessage) =>
  (request.headers.accept ?? '').includes('text/event-stream') || /\/stream(\?|$)/.test(request.url ?? '');

/**
 * The requests being answered, so that shutdown lets them finish (up to a grace period) instead of cutting them off.
 * Event streams never finish by themselves: shutdown ends them at once, and their clients reconnect elsewhere.
 */
export class InFlightRequests {
  private readonly active = new Map<ServerResponse, IncomingMessage>();
  private stopping = false;

  track(request: IncomingMessage, response: ServerResponse): void {
    // Arrived on a kept-alive connection during shutdown: answer it, then close that connection.
    if (this.stopping) response.setHeader('connection', 'close');
    this.active.set(response, request);
    response.once('close', () => this.active.delete(response));
  }

  /** Call after server.close(): waits for running requests for up to `graceMs`, closing connections as they go idle. */
  async drain(server: Server, graceMs: number, logger: Logger): Promise<void> {
    this.stopping = true;
    for (const [response, request] of this.active) {
      if (isEventStream(request)) response.destroy();
      else if (!response.headersSent) response.setHeader('connection', 'close');
    }
    const deadline = Date.now() + graceMs;
    while (this.active.size > 0 && Date.now() < deadline) {
      server.closeIdleConnections();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (this.active.size > 0) {
      logger.warn({ requests: this.active.size, graceMs }, 'shutdown grace period over: closing unfinished requests');
    }
  }
}

/** `opening`: the database, already being opened and migrated (see startRuntime); opened here otherwise. */
export async function startServer(config: Config, logger: Logger, opening?: Promise<Database>): Promise<RunningServer> {
  const runtime = await startRuntime(config, logger, opening);
  let jobs: BackgroundJobs | undefined;
  let sealer: AuditSealer | undefined;
  try {
    const app = createApp(runtime);
    const honoListener = getRequestListener(app.fetch);
    const general = (request: IncomingMessage, response: ServerResponse) => void honoListener(request, response);
    const fastPath = createEvaluateFastPath(runtime.authenticator, runtime.snapshot, logger, general);
    const inFlight = new InFlightRequests();
    const server = createServer((request, response) => {
      inFlight.track(request, response);
      if (!fastPath(request, response)) general(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigError(
                `PORT: ${config.host}:${config.port} is already in use; stop what listens there or set PORT.`,
              )
            : error,
        ),
      );
      server.listen(config.port, config.host);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    logger.info({ url, database: runtime.database.kind }, `Flagline listening on ${url}`);
    try {
      // Only once the port is bound: a start that cannot listen must not leave a token behind.
      await mintBootstrapAdminToken(runtime.database.db, config, logger, (secret) =>
        deliverBootstrapSecret(secret, config, logger),
      );
      // After listening too: evaluation and /readyz need only the snapshot, so a restart answers while they start.
      if (config.scheduler.enabled) jobs = await startBackgroundJobs(runtime, runtime.snapshot);
      // Without background jobs the trail is still sealed (the jobs include a sealer otherwise).
      else sealer = await startAuditSealing(runtime);
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([jobs?.stop(), sealer?.stop()]);
      throw error;
    }
    return {
      url,
      async close() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([inFlight.drain(server, config.shutdownGraceMs, logger), jobs?.stop(), sealer?.stop()]);
        server.closeAllConnections();
        await closed;
        await runtime.stop();
      },
    };
  } catch (error) {
    await sealer?.stop();
    await runtime.stop();
    throw error;
  }
}
