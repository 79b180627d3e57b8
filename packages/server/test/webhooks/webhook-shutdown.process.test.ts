import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { killAllFlaglines, PROCESS_TIMEOUT_MS, type StartedServer, startServe } from '../helpers/processes';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver';

const ADMIN_TOKEN = 'webhook-shutdown-admin-token-0123456789';
const HANGING_ENDPOINTS = 24;
/** The budget the issue sets for a shutdown whatever the receivers do. */
const SHUTDOWN_BUDGET_MS = 10_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Real `flagline serve` processes on PostgreSQL, with every webhook receiver hanging (never answering) and a send
 * timeout of a minute: before, stop() waited for the sends, 8 at a time, so shutdown took a timeout per group of 8.
 */
describe.each(postgresBackends())('shutdown with hanging webhook receivers (%s)', () => {
  let database: { url: string; drop(): Promise<void> };
  let receiver: Receiver;
  let server: StartedServer | undefined;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    receiver = await startReceiver(() => 'hang');
  }, PROCESS_TIMEOUT_MS);
  afterAll(async () => {
    await killAllFlaglines();
    await receiver?.close();
    await database?.drop();
  }, PROCESS_TIMEOUT_MS);

  const serve = () =>
    startServe({
      DATABASE_URL: database.url,
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '60000',
    });
  const everyEndpointHangs = () =>
    waitFor(
      'a request hanging at every endpoint',
      () => (new Set(receiver.hanging().map((request) => request.path)).size === HANGING_ENDPOINTS ? true : undefined),
      60_000,
    );
  const leasesHeld = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const result = await client.query<{ n: number }>(
        'select count(*)::int as n from webhook_deliveries where lease_token is not null',
      );
      return result.rows[0]?.n;
    } finally {
      await client.end();
    }
  };

  it(
    'SIGTERM exits within 10 s although every receiver hangs, and releases the leases',
    async () => {
      server = await serve();
      for (let i = 0; i < HANGING_ENDPOINTS; i++) {
        const response = await fetch(`${server.url}/api/admin/webhooks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: `${receiver.url}/hang-${i}` }),
        });
        expect(response.status).toBe(201);
      }
      await everyEndpointHangs();

      const signalled = performance.now();
      server.flagline.child.kill('SIGTERM');
      const exit = await server.flagline.exited;
      const tookMs = performance.now() - signalled;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(tookMs).toBeLessThan(SHUTDOWN_BUDGET_MS);
      // The sends were cut off, not waited for; their deliveries are due again for whoever runs next.
      await waitFor(
        'the receiver to see every request closed',
        () => (receiver.hanging().length === 0 ? true : undefined),
        10_000,
      );
      expect(await leasesHeld()).toBe(0);
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'a second SIGTERM exits at once while the first is still shutting down',
    async () => {
      server = await serve();
      // The released deliveries are sent again at once, and hang again.
      await everyEndpointHangs();
      // Make the graceful path wait: the dispatcher cannot record anything while the outbox table is locked.
      const blocker = new pg.Client({ connectionString: database.url });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table webhook_deliveries in access exclusive mode');
        server.flagline.child.kill('SIGTERM');
        await sleep(1_500);
        expect(server.flagline.hasExited()).toBe(false);
        const signalled = performance.now();
        server.flagline.child.kill('SIGTERM');
        const exit = await server.flagline.exited;
        const tookMs = performance.now() - signalled;
        expect(exit).toEqual({ code: 143, signal: null });
        expect(tookMs).toBeLessThan(2_000);
      } finally {
        await blocker.query('rollback').catch(() => {});
        await blocker.end();
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});
