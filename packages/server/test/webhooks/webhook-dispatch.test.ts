import { createServer, type ServerResponse } from 'node:http';
import type { CreatedWebhook, CreateWebhookBody } from '@flagline/core';
import { eq, inArray, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../src/db/schema';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectStatus } from '../helpers/http';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver';

const HANGING_ENDPOINTS = 24;
const PER_ENDPOINT = 2;

describe.each(testBackends())('webhook dispatch with hanging receivers (%s)', (backend) => {
  let t: TestApp;
  let receiver: Receiver;
  /** Answers /hang-* never (until released), /flaky-* hangs on its first request and then answers 200, others 200 or 503. */
  let flakyCalls = 0;

  beforeAll(async () => {
    t = await createTestApp(backend, {
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
      // Far longer than any test: only stop() or the receiver ends a hanging send.
      WEBHOOK_TIMEOUT_MS: '120000',
      // No retry comes due by itself during a test: each test makes its retries due when it wants them.
      WEBHOOK_RETRY_BASE_MS: '600000',
      WEBHOOK_MAX_BACKOFF_MS: '600000',
      WEBHOOK_MAX_ATTEMPTS: '100',
      WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: String(PER_ENDPOINT),
    });
    receiver = await startReceiver(({ path }) => {
      if (path.startsWith('/hang')) return 'hang';
      if (path.startsWith('/down')) return 503;
      if (path.startsWith('/flaky')) return flakyCalls++ === 0 ? 'hang' : 200;
      return 200;
    });
  }, APP_SETUP_TIMEOUT_MS);
  // Each test's webhooks go with it, so a failing test leaves no hanging deliveries to the next.
  afterEach(async () => {
    receiver.release(200);
    await clear();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const dispatcher = () => new WebhookDispatcher(t.deps.database, t.deps.config.webhooks, pino({ level: 'silent' }));
  // Each change is sealed at once, as a server's sealer would: deliveries are made as events are sealed.
  const create = async (body: CreateWebhookBody) => {
    const created = expectStatus(await answer(apiClient(t).POST('/api/admin/webhooks', { body })), 201);
    await sealAudit(t);
    return created;
  };
  const rowsOf = (ids: string[]) =>
    t.deps.database.db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.webhookId, ids));
  const clear = async () => {
    const ids = (await t.deps.database.db.select({ id: webhookDeliveries.webhookId }).from(webhookDeliveries)).map(
      (row) => row.id,
    );
    for (const id of new Set(ids)) {
      await answer(apiClient(t).DELETE('/api/admin/webhooks/{id}', { params: { path: { id } } }));
    }
  };
  let changes = 0;
  const change = async () => {
    changes++;
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: `dispatch-${changes}` } })), 201);
    await sealAudit(t);
  };

  it('a good endpoint gets every event while 24 endpoints hang; each hanging one holds only its own slots', async () => {
    const hanging: CreatedWebhook[] = [];
    for (let i = 0; i < HANGING_ENDPOINTS; i++) hanging.push(await create({ url: `${receiver.url}/hang-${i}` }));
    const good = await create({ url: `${receiver.url}/good` });
    // 6 events for every webhook: 150 deliveries to hanging endpoints, more than one claim looks at.
    for (let i = 0; i < 6; i++) await change();
    const goodRows = await rowsOf([good.id]);

    const running = dispatcher();
    await running.start();
    try {
      // Every one of the good endpoint's deliveries arrives while all 24 hanging endpoints still hold their requests.
      await waitFor(
        'the good endpoint to get all its events',
        () => (receiver.requests.filter((r) => r.path === '/good').length >= goodRows.length ? true : undefined),
        60_000,
      );
      const hangingNow = receiver.hanging();
      expect(hangingNow.every((request) => request.status === 'hang' && !request.abandoned)).toBe(true);
      const byEndpoint = new Map<string, number>();
      for (const request of hangingNow) byEndpoint.set(request.path, (byEndpoint.get(request.path) ?? 0) + 1);
      // Each hanging endpoint holds at most its own in-flight limit; none of them was answered or gave up.
      expect([...byEndpoint.values()].every((count) => count <= PER_ENDPOINT)).toBe(true);
      expect(receiver.requests.filter((r) => r.path.startsWith('/hang')).length).toBe(hangingNow.length);
      expect(
        new Set(receiver.requests.filter((r) => r.path === '/good').map((r) => r.headers['webhook-id'])).size,
      ).toBe(goodRows.length);
      await waitFor(
        'the good deliveries to be recorded',
        async () => ((await rowsOf([good.id])).every((row) => row.status === 'delivered') ? true : undefined),
        30_000,
      );
      await waitFor(
        'every hanging endpoint to fill its slots',
        () => (receiver.hanging().length === HANGING_ENDPOINTS * PER_ENDPOINT ? true : undefined),
        30_000,
      );
      // What waits behind a hanging endpoint was never claimed: no attempt counted, no lease taken.
      const waiting = await rowsOf(hanging.map((webhook) => webhook.id));
      const leased = waiting.filter((row) => row.leaseToken !== null);
      expect(leased.length).toBe(HANGING_ENDPOINTS * PER_ENDPOINT);
      expect(leased.every((row) => row.attempts === 0 && row.nextAttemptAt.getTime() > Date.now() + 60_000)).toBe(true);
      expect(waiting.filter((row) => row.leaseToken === null).every((row) => row.attempts === 0)).toBe(true);
    } finally {
      await running.stop();
    }

    // stop() cut every hanging send off and released its lease: due again now, counted as the send it was.
    await waitFor(
      'the receiver to see every hanging request closed',
      () => (receiver.hanging().length === 0 ? true : undefined),
      10_000,
    );
    expect(receiver.requests.filter((r) => r.path.startsWith('/hang')).every((r) => r.abandoned)).toBe(true);
    const after = await rowsOf(hanging.map((webhook) => webhook.id));
    expect(after.every((row) => row.leaseToken === null && row.status === 'pending')).toBe(true);
    const interrupted = after.filter((row) => row.attempts > 0);
    expect(interrupted.length).toBe(HANGING_ENDPOINTS * PER_ENDPOINT);
    for (const row of interrupted) {
      expect(row).toMatchObject({ attempts: 1, lastError: 'interrupted by shutdown', lastStatusCode: null });
      expect(row.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
    }
  }, 180_000);

  it('counts sends, not claims: attempts equal the requests the receiver saw', async () => {
    const down = await create({ url: `${receiver.url}/down` });
    await change();
    await change();
    const once = dispatcher();
    for (let round = 0; round < 4; round++) {
      expect(await once.runOnce()).toBe(3);
      await t.deps.database.db
        .update(webhookDeliveries)
        .set({ nextAttemptAt: sql`now()` })
        .where(eq(webhookDeliveries.webhookId, down.id));
    }
    const rows = await rowsOf([down.id]);
    const sent = receiver.requests.filter((r) => r.path === '/down').length;
    expect(sent).toBe(12);
    expect(rows.map((row) => row.attempts)).toEqual([4, 4, 4]);
    expect(rows.every((row) => row.leaseToken === null && row.lastError === 'HTTP 503')).toBe(true);
  }, 120_000);

  it('records a result only while holding the lease: a send whose lease was taken over changes nothing', async () => {
    const flaky = await create({ url: `${receiver.url}/flaky`, eventTypes: ['flag.created'] });
    await change();
    const [row] = await rowsOf([flaky.id]);
    if (!row) throw new Error('no delivery');

    const first = dispatcher();
    const firstRun = first.runOnce();
    await waitFor('the first send to hang', () => (receiver.hanging().length === 1 ? true : undefined), 30_000);
    // The lease runs out (a paused process, say) and another dispatcher claims and delivers the event.
    await t.deps.database.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`now()` })
      .where(eq(webhookDeliveries.id, row.id));
    expect(await dispatcher().runOnce()).toBe(1);
    const delivered = await rowsOf([flaky.id]);
    expect(delivered).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 1, lastStatusCode: 200, leaseToken: null }),
    ]);

    // The first send now fails; its result must not overwrite the delivery it no longer holds.
    receiver.release(500);
    expect(await firstRun).toBe(1);
    const final = await t.deps.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, row.id));
    expect(final).toEqual(delivered);
  }, 60_000);
  it('sends one after another over a kept-alive connection, and cuts a response body it would have to wait for', async () => {
    // The receiver answers 200 at once; /endless never finishes its body.
    let connections = 0;
    const endless = new Set<ServerResponse>();
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/endless') {
          endless.add(response);
          response.on('close', () => endless.delete(response));
          response.writeHead(200, { 'content-type': 'text/plain' }).write('x'.repeat(16 * 1024));
          return;
        }
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    try {
      const kept = await create({ url: `http://127.0.0.1:${address.port}/kept`, eventTypes: ['flag.created'] });
      for (let i = 0; i < 6; i++) await change();
      const once = dispatcher();
      // PER_ENDPOINT sends at a time: later ones reuse the first connections.
      expect(await once.runOnce()).toBe(6);
      expect((await rowsOf([kept.id])).map((row) => row.status)).toEqual(Array(6).fill('delivered'));
      expect(connections).toBe(PER_ENDPOINT);

      const slow = await create({ url: `http://127.0.0.1:${address.port}/endless`, eventTypes: ['flag.created'] });
      await change();
      const started = Date.now();
      // The new event goes to both webhooks.
      expect(await once.runOnce()).toBe(2);
      // Delivered at the status line; the body that never ends costs the receiver its connection, not the sender a slot.
      expect((await rowsOf([slow.id])).map((row) => row.status)).toEqual(['delivered']);
      expect(Date.now() - started).toBeLessThan(5_000);
      await waitFor('the endless body to be cut', () => (endless.size === 0 ? true : undefined), 10_000);
      await once.stop();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});
