import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Config } from '../config';
import { createAppShell, finishApp, mountDelivery } from '../http/app-shell';
import type { AppEnv } from '../http/context';
import { requireMetricsToken } from '../http/metrics-token';
import { AppError } from '../shared/errors';
import { observeSnapshot, registry } from '../shared/metrics';
import { VERSION } from '../version';
import type { RelaySnapshot } from './relay-snapshot';
import type { UpstreamAuthenticator } from './upstream-authenticator';

export interface RelayDeps {
  config: Config;
  logger: Logger;
  upstream: string;
  snapshot: RelaySnapshot;
  authenticator: UpstreamAuthenticator;
  /** The metrics text: the relay's registry, or with --workers every worker's added up. */
  metrics: () => Promise<string>;
}

let relaySource: RelaySnapshot | undefined;

new Gauge({
  name: 'flagline_relay_upstream_connected',
  help: 'Whether the relay is connected to its upstream stream (1) or serving its last snapshot without it (0)',
  registers: [registry],
  // With --workers: connected only when every worker is.
  aggregator: 'min',
  collect() {
    if (relaySource) this.set(relaySource.state.connected ? 1 : 0);
  },
});

new Gauge({
  name: 'flagline_relay_snapshot_age_seconds',
  help: "Seconds the relay's snapshot may be behind its upstream: 0 while connected, else since it last heard from it",
  registers: [registry],
  aggregator: 'max',
  collect() {
    if (relaySource?.ready) this.set(relaySource.staleSeconds);
  },
});

new Gauge({
  name: 'flagline_relay_upstream_reconnects',
  help: 'Times the relay has reconnected to its upstream since it started',
  registers: [registry],
  collect() {
    if (relaySource) this.set(relaySource.state.reconnects);
  },
});

/**
 * Open streams' credentials are checked at once when the upstream's stream says tokens changed, and also this often,
 * in case an upstream never says so (one older than the `credentials` event).
 */
export const RELAY_RECHECK_MS = 2_000;

const ADMIN_NOT_ON_RELAY = (upstream: string) =>
  `This is a Flagline relay: it serves evaluation (/api/config, /api/client, /ofrep) only. The admin API is on the upstream, ${upstream}.`;

/**
 * The relay's HTTP app: the server's delivery routes, mounted by the same code on the relay's snapshot and credential
 * check, plus health, readiness (with the upstream's state) and metrics. Admin routes answer 404 naming the upstream.
 */
export function createRelayApp(deps: RelayDeps): OpenAPIHono<AppEnv> {
  const app = createAppShell(deps, { admin: false });
  relaySource = deps.snapshot;
  observeSnapshot(() =>
    deps.snapshot.ready ? { version: deps.snapshot.current.version, checkedAt: deps.snapshot.checkedAt } : undefined,
  );

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION, relay: true }));
  // Ready while it has a snapshot, upstream or not: evaluation from the last snapshot beats none. Staleness shows in
  // `stale`, in ?verbose and in the relay gauges.
  app.get('/readyz', (c) => {
    const verbose = c.req.query('verbose') !== undefined;
    const { state } = deps.snapshot;
    const checks = verbose && {
      upstream: {
        url: deps.upstream,
        status: state.connected ? 'connected' : 'disconnected',
        ...(state.disconnectedSince ? { disconnectedSince: state.disconnectedSince.toISOString() } : {}),
        ...(state.lastHeardAt ? { lastHeardAt: state.lastHeardAt.toISOString() } : {}),
        ...(state.lastError && !state.connected ? { lastError: state.lastError } : {}),
        reconnects: state.reconnects,
      },
      snapshot: deps.snapshot.ready
        ? { status: 'loaded', version: deps.snapshot.current.version, ageSeconds: deps.snapshot.staleSeconds }
        : { status: 'loading' },
    };
    if (!deps.snapshot.ready) {
      throw new AppError(
        'UNAVAILABLE',
        `The relay has no snapshot from its upstream (${deps.upstream}) yet.`,
        checks ? { checks } : undefined,
      );
    }
    const ready = {
      status: 'ready',
      relay: true,
      stale: !state.connected,
      configVersion: deps.snapshot.current.version,
    };
    return c.json(checks ? { ...ready, checks } : ready);
  });

  app.get('/metrics', requireMetricsToken(deps.config.metricsToken), async (c) => {
    c.header('content-type', registry.contentType);
    return c.body(await deps.metrics());
  });

  mountDelivery(app, deps, deps.authenticator.revoked, RELAY_RECHECK_MS);
  app.all('/api/admin/*', () => {
    throw new AppError('NOT_FOUND', ADMIN_NOT_ON_RELAY(deps.upstream));
  });
  app.all('/api/admin', () => {
    throw new AppError('NOT_FOUND', ADMIN_NOT_ON_RELAY(deps.upstream));
  });
  finishApp(app, deps);
  return app;
}
