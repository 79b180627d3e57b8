import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { killAllFlaglines, type StartedServer, startServe } from '../helpers/processes';
import { pipeToTarget } from '../helpers/relay';

const ADMIN_TOKEN = 'database-outage-admin-token-0123456789';

/**
 * A TCP relay between Flagline and PostgreSQL that can be cut: while it is down, connections are refused and open ones
 * are reset, as when the database host goes away. Nothing is simulated inside Flagline.
 */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (!address || typeof address === 'string') throw new Error('no port');
    const relay = new Relay(target, address.port);
    await relay.up();
    return relay;
  }

  async up(): Promise<void> {
    this.server = createServer((client) => pipeToTarget(client, this.target, this.sockets));
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

afterAll(async () => {
  await killAllFlaglines();
});

// Without TEST_DATABASE_URL the suite below has no backend; this keeps the file from being an empty (failing) suite,
// which made a plain `npm test` fail on a machine without PostgreSQL configured.
describe('database outage backends', () => {
  it('runs on PostgreSQL exactly when TEST_DATABASE_URL is set', () => {
    expect(postgresBackends()).toEqual(process.env.TEST_DATABASE_URL ? ['postgres'] : []);
  });
});

describe.each(postgresBackends())('a database outage (%s)', () => {
  it('applications keep evaluating from memory, admin requests get 503, and all resumes when it is back', async () => {
    const database = await createPostgresDatabase();
    const target = new URL(database.url);
    const relay = await Relay.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaRelay = new URL(database.url);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    let server: StartedServer | undefined;
    try {
      server = await startServe({ DATABASE_URL: viaRelay.toString(), FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
      const call = async (method: string, path: string, token: string, body?: unknown) => {
        const response = await fetch(`${server?.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
          retryAfter: response.headers.get('retry-after'),
        };
      };
      expect((await call('POST', '/api/admin/flags', ADMIN_TOKEN, { key: 'outage-flag' })).status).toBe(201);
      expect(
        (await call('PATCH', '/api/admin/flags/outage-flag', ADMIN_TOKEN, { enabled: true, rolloutPercentage: 100 }))
          .status,
      ).toBe(200);
      const token = await call('POST', '/api/admin/tokens', ADMIN_TOKEN, {
        name: 'app',
        role: 'client',
        environment: 'production',
      });
      const secret = String(token.body.secret);
      // The app evaluates once, then a change elsewhere marks every cached token for re-verification.
      expect((await call('GET', '/api/config/flags?userId=u1', secret)).body).toEqual({ 'outage-flag': true });
      expect((await call('PATCH', '/api/admin/flags/outage-flag', ADMIN_TOKEN, { description: 'x' })).status).toBe(200);

      await relay.down();
      const evaluation = await call('GET', '/api/config/flags?userId=u1', secret);
      expect(evaluation).toMatchObject({ status: 200, body: { 'outage-flag': true } });
      const ofrep = await call('POST', '/ofrep/v1/evaluate/flags/outage-flag', secret, {
        context: { targetingKey: 'u1' },
      });
      expect(ofrep.status).toBe(200);
      const admin = await call('GET', '/api/admin/flags', ADMIN_TOKEN);
      expect(admin.status).toBe(503);
      expect(admin.body.error).toBe('UNAVAILABLE');
      expect(admin.retryAfter).toBe('5');
      // Still ready: evaluation is served from memory. The database's state is in ?verbose and in the metrics.
      expect(await call('GET', '/readyz', '')).toMatchObject({ status: 200, body: { status: 'ready' } });
      const verbose = await call('GET', '/readyz?verbose', '');
      expect(verbose).toMatchObject({
        status: 200,
        body: {
          status: 'ready',
          checks: { database: { status: 'down', reason: expect.stringMatching(/^(unreachable|timeout)$/) } },
        },
      });
      const metricsDuringOutage = await fetch(`${server.url}/metrics`).then((response) => response.text());
      expect(metricsDuringOutage).toMatch(/^flagline_database_up 0$/m);
      // prom-client writes NaN as "Nan", which Prometheus parses (case-insensitively) as NaN.
      expect(metricsDuringOutage).toMatch(/^flagline_schedules_pending nan$/im);
      const write = await call('PATCH', '/api/admin/flags/outage-flag', ADMIN_TOKEN, { enabled: false });
      expect(write.status).toBe(503);
      // A token this instance never verified cannot be checked now: 503, not 401 and not 500.
      expect((await call('GET', '/api/config/flags', 'fl_never_seen_token_0123456789abcdef')).status).toBe(503);

      await relay.up();
      const deadline = Date.now() + 30_000;
      let back = await call('PATCH', '/api/admin/flags/outage-flag', ADMIN_TOKEN, { enabled: false });
      while (back.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        back = await call('PATCH', '/api/admin/flags/outage-flag', ADMIN_TOKEN, { enabled: false });
      }
      expect(back.status).toBe(200);
      expect(server.flagline.hasExited()).toBe(false);
      const after = Date.now() + 10_000;
      let evaluated = await call('GET', '/api/config/flags?userId=u1', secret);
      while (evaluated.body['outage-flag'] !== false && Date.now() < after) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        evaluated = await call('GET', '/api/config/flags?userId=u1', secret);
      }
      expect(evaluated.body).toEqual({ 'outage-flag': false });
      const metricsAfter = await fetch(`${server.url}/metrics`).then((response) => response.text());
      expect(metricsAfter).toMatch(/^flagline_database_up 1$/m);
      expect((await call('GET', '/readyz?verbose', '')).body).toMatchObject({ checks: { database: { status: 'up' } } });
    } finally {
      await server?.flagline.stop('SIGTERM', 10_000);
      await relay.down();
      await database.drop();
    }
  }, 120_000);
});
