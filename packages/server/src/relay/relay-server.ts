import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config';
import { createEvaluateFastPath } from '../delivery/evaluate-fast-path';
import { InFlightRequests, type RunningServer } from '../server';
import { createRelayApp } from './relay-app';
import { announceRelayListening, relayMetrics } from './relay-cluster';
import { RelaySnapshot } from './relay-snapshot';
import { UpstreamAuthenticator } from './upstream-authenticator';

export interface RelayOptions {
  /** The upstream's base URL: a `flagline serve` instance or another relay. */
  upstream: string;
  /** A server token for the environment to relay. */
  token: string;
  environment: string | undefined;
}

/** How long the start waits for the first snapshot before listening anyway (answering 503 until it arrives). */
const FIRST_SNAPSHOT_WAIT_MS = 10_000;

/**
 * `flagline relay`: the evaluation routes on a snapshot kept from an upstream's stream, without a database, served
 * through the same fast path and Hono routes as `flagline serve`.
 */
export async function startRelay(config: Config, options: RelayOptions, logger: Logger): Promise<RunningServer> {
  const snapshot = new RelaySnapshot({ ...options, logger });
  const authenticator = new UpstreamAuthenticator(options.upstream, config.auth.failuresPerMinute, logger);
  // Tokens changed upstream: ask again before trusting a cached answer. Registered before the app passes the event on,
  // so a chained relay that asks this one about its streams' credentials is not answered from a stale cache.
  snapshot.onTokensChange(() => authenticator.invalidate());
  await snapshot.start(FIRST_SNAPSHOT_WAIT_MS);
  if (!snapshot.ready && snapshot.refused) {
    await snapshot.stop();
    // A wrong token does not fix itself: stop with the upstream's reason rather than retry for ever.
    throw new ConfigError(
      `--token: the upstream ${options.upstream} refused it (${snapshot.state.lastError}); use a server token of the environment to relay.`,
    );
  }
  if (!snapshot.ready) {
    logger.warn(
      { upstream: options.upstream },
      'relay: no snapshot from the upstream yet; /readyz answers 503 until one arrives',
    );
  }
  const app = createRelayApp({
    config,
    logger,
    upstream: options.upstream,
    snapshot,
    authenticator,
    metrics: relayMetrics,
  });
  const honoListener = getRequestListener(app.fetch);
  const general = (request: IncomingMessage, response: ServerResponse) => void honoListener(request, response);
  const fastPath = createEvaluateFastPath(authenticator, snapshot, logger, general);
  const inFlight = new InFlightRequests();
  const server = createServer((request, response) => {
    inFlight.track(request, response);
    if (!fastPath(request, response)) general(request, response);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigError(
                `--port: ${config.host}:${config.port} is already in use; stop what listens there or pick another.`,
              )
            : error,
        ),
      );
      server.listen(config.port, config.host);
    });
  } catch (error) {
    await snapshot.stop();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, upstream: options.upstream }, `Flagline relay listening on ${url}`);
  announceRelayListening(url);
  return {
    url,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await inFlight.drain(server, config.shutdownGraceMs, logger);
      server.closeAllConnections();
      await closed;
      await snapshot.stop();
    },
  };
}
