import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type AuditEvent,
  auditEventSchema,
  createdWebhookSchema,
  webhookDeliverySchema,
  webhookSchema,
} from '@flagline/core';
import { count, eq, notExists, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { type BackgroundJobs, startBackgroundJobs } from '../../src/background/jobs';
import { auditEvents as auditEventsTable, configState, environments, webhookDeliveries } from '../../src/db/schema';
import { runChange } from '../../src/db/unit-of-work';
import { unitOfWork } from '../../src/http/deps';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { auditEvents, auditMark, auditSince, expectError, expectStatus, tokenIdOf } from '../helpers/http';
import { type ReceivedRequest, type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTAGE_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface OutageReceiver extends Receiver {
  upAt: number;
  /** Accepted (200) requests on `path`, one per X-Flagline-Event-Id (receivers deduplicate retries). */
  accepted(path: string): Map<string, ReceivedRequest>;
}

/** A webhook receiver on 127.0.0.1 that answers 503 for the first `downForMs`, then 200. */
async function startOutageReceiver(downForMs: number): Promise<OutageReceiver> {
  const upAt = Date.now() + downForMs;
  const receiver = await startReceiver(() => (Date.now() < upAt ? 503 : 200));
  return {
    ...receiver,
    upAt,
    accepted(path) {
      const byEvent = new Map<string, ReceivedRequest>();
      for (const request of receiver.requests) {
        const id = request.headers['x-flagline-event-id'];
        if (request.path === path && request.status === 200 && id && !byEvent.has(id)) byEvent.set(id, request);
      }
      return byEvent;
    },
  };
}

/** The check a receiver makes: sha256=HMAC(secret, "<timestamp>.<raw body>"), compared in constant time. */
function signatureValid(secret: string, request: ReceivedRequest): boolean {
  const timestamp = request.headers['x-flagline-timestamp'] ?? '';
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`,
  );
  const given = Buffer.from(request.headers['x-flagline-signature'] ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe.each(testBackends())('webhooks (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend, {
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_MAX_BACKOFF_MS: '1000',
      WEBHOOK_MAX_ATTEMPTS: '50',
      WEBHOOK_TIMEOUT_MS: '5000',
      // The test receivers listen on loopback, which webhooks may not reach by default.
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = (token?: string) => apiClient(t, token);
  const create = (body: components['schemas']['CreateWebhookBody'], token?: string) =>
    answer(api(token).POST('/api/admin/webhooks', { body }));
  const byId = (id: string) => ({ params: { path: { id } } });
  const listWebhooks = async () => expectStatus(await answer(api().GET('/api/admin/webhooks')), 200).items;
  const deliveries = async (id: string) =>
    expectStatus(
      await answer(
        api().GET('/api/admin/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 500 } } }),
      ),
      200,
    ).items;

  describe('the API', () => {
    it('creates, lists, gets and deletes webhooks; the secret is shown only in the create response', async () => {
      const adminId = await tokenIdOf(t, t.tokens.admin);
      const mark = await auditMark(t);
      const generated = expectStatus(await create({ url: 'https://hooks.example.com/flagline' }), 201);
      createdWebhookSchema.parse(generated);
      expect(generated).toMatchObject({
        url: 'https://hooks.example.com/flagline',
        description: '',
        eventTypes: null,
        createdBy: adminId,
        deliveries: { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null, lastError: null },
      });
      expect(generated.id).toMatch(UUID);
      expect(generated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      const chosenSecret = 'a-secret-of-my-own-choosing';
      const chosen = expectStatus(
        await create({
          url: 'http://127.0.0.1:9/hook?x=1',
          eventTypes: ['flag.updated', 'flag_schedule.failed'],
          secret: chosenSecret,
          description: 'ops channel',
        }),
        201,
      );
      expect(chosen).toMatchObject({ secret: chosenSecret, eventTypes: ['flag.updated', 'flag_schedule.failed'] });

      const secrets = [generated.secret, chosenSecret];
      const { secret: _generatedSecret, ...generatedView } = generated;
      const { secret: _chosenSecret, ...chosenView } = chosen;
      // A new webhook is sent the event of its own creation; the second one's creation goes to the first (every type)
      // but not to itself (it asked for flag.updated and flag_schedule.failed only).
      generatedView.deliveries = { ...generatedView.deliveries, pending: 2 };
      // Deliveries are made as events are sealed (in sealed order); no sealer loop runs in this in-process app.
      await sealAudit(t);
      const listed = await answer(api(t.tokens.viewer).GET('/api/admin/webhooks'));
      expect(expectStatus(listed, 200).items).toEqual([chosenView, generatedView]);
      for (const item of listed.body.items) expect(Object.keys(webhookSchema.parse(item))).not.toContain('secret');
      const got = await answer(api().GET('/api/admin/webhooks/{id}', byId(generated.id)));
      expect(expectStatus(got, 200)).toEqual(generatedView);
      const chosenDeliveries = await answer(api().GET('/api/admin/webhooks/{id}/deliveries', byId(chosen.id)));
      expect(expectStatus(chosenDeliveries, 200)).toEqual({
        items: [],
      });

      // The audit trail records the webhooks, never their secrets.
      const created = await auditSince(t, mark);
      expect(created.map((event) => [event.type, event.data])).toEqual([
        ['webhook.created', { webhookId: generated.id, url: generated.url, eventTypes: null }],
        ['webhook.created', { webhookId: chosen.id, url: chosen.url, eventTypes: chosen.eventTypes }],
      ]);
      for (const text of [JSON.stringify(created), JSON.stringify(listed.body), JSON.stringify(got.body)]) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }

      expect((await answer(api().DELETE('/api/admin/webhooks/{id}', byId(generated.id)))).status).toBe(204);
      expectError(await answer(api().GET('/api/admin/webhooks/{id}', byId(generated.id))), 404, 'NOT_FOUND');
      expectError(await answer(api().GET('/api/admin/webhooks/{id}/deliveries', byId(generated.id))), 404, 'NOT_FOUND');
      expectError(await answer(api().DELETE('/api/admin/webhooks/{id}', byId(generated.id))), 404, 'NOT_FOUND');
      expect(await listWebhooks()).toEqual([chosenView]);
      expect((await answer(api().DELETE('/api/admin/webhooks/{id}', byId(chosen.id)))).status).toBe(204);
      expect(await listWebhooks()).toEqual([]);
      const deleted = (await auditSince(t, mark)).filter((event) => event.type === 'webhook.deleted');
      expect(deleted.map((event) => event.data)).toEqual([
        { webhookId: generated.id, url: generated.url },
        { webhookId: chosen.id, url: chosen.url },
      ]);
    });

    it('validates the URL (http or https, no credentials), the event types and the secret', async () => {
      const invalid: [unknown, string][] = [
        [{ url: 'ftp://example.com/hook' }, 'url'],
        [{ url: 'javascript:alert(1)' }, 'url'],
        [{ url: 'file:///etc/passwd' }, 'url'],
        [{ url: 'not a url' }, 'url'],
        [{ url: 'http://user:password@example.com/hook' }, 'url'],
        [{ url: 'https://token@example.com/hook' }, 'url'],
        [{ url: `https://example.com/${'x'.repeat(2000)}` }, 'url'],
        [{}, 'url'],
        [{ url: 'https://example.com', eventTypes: ['flag.exploded'] }, 'eventTypes.0'],
        [{ url: 'https://example.com', eventTypes: ['flag.created', 'FLAG.CREATED'] }, 'eventTypes.1'],
        [{ url: 'https://example.com', eventTypes: [] }, 'eventTypes'],
        [{ url: 'https://example.com', secret: 'too-short' }, 'secret'],
        [{ url: 'https://example.com', headers: { x: 'y' } }, 'headers'],
      ];
      for (const [body, field] of invalid) {
        // invalid on purpose: outside what the typed client can send
        const response = await t.request('POST', '/api/admin/webhooks', { body });
        const error = expectError(response, 400, 'VALIDATION_FAILED');
        expect(error.details, JSON.stringify(body)).toMatchObject({ fields: { [field]: expect.any(String) } });
      }
      expect(await listWebhooks()).toEqual([]);
    });

    it('answers 404 for a malformed or unknown id, and lets only admins change webhooks', async () => {
      for (const id of ['not-a-uuid', '123', "1' or '1'='1", '00000000-0000-0000-0000-000000000000']) {
        const path = `/api/admin/webhooks/${encodeURIComponent(id)}`;
        expectError(await t.request('GET', path), 404, 'NOT_FOUND');
        expectError(await t.request('GET', `${path}/deliveries`), 404, 'NOT_FOUND');
        expectError(await t.request('DELETE', path), 404, 'NOT_FOUND');
      }
      expectError(await create({ url: 'https://example.com' }, t.tokens.viewer), 403, 'FORBIDDEN');
      expectError(await answer(api(t.tokens.client).GET('/api/admin/webhooks')), 403, 'FORBIDDEN');
      expectError(await answer(apiClient(t, null).GET('/api/admin/webhooks')), 401, 'UNAUTHORIZED');
      expect(await listWebhooks()).toEqual([]);
    });
  });

  describe('delivery', () => {
    const SECRET_ALL = 'receiver-secret-for-every-event';
    const SECRET_FLAGS = 'receiver-secret-for-flag-lifecycle';
    let receiver: OutageReceiver;
    let jobs: BackgroundJobs;

    beforeAll(async () => {
      jobs = await startBackgroundJobs(
        { database: t.deps.database, config: t.deps.config, logger: pino({ level: 'silent' }) },
        t.deps.snapshot,
      );
    });
    afterAll(async () => {
      await jobs?.stop();
      await receiver?.close();
    });

    it('a receiver that is down for the first 10 s gets every event afterwards, each signed, none lost', async () => {
      const mark = await auditMark(t);
      receiver = await startOutageReceiver(OUTAGE_MS);
      const all = expectStatus(await create({ url: `${receiver.url}/all`, secret: SECRET_ALL }), 201);
      const lifecycle = expectStatus(
        await create({
          url: `${receiver.url}/lifecycle`,
          secret: SECRET_FLAGS,
          eventTypes: ['flag.created', 'flag.deleted'],
        }),
        201,
      );
      const doomed = expectStatus(await create({ url: `${receiver.url}/deleted` }), 201);
      const change = async (pending: Promise<{ error?: unknown; response: Response }>) => {
        const { error, response } = await pending;
        expect(response.ok, `${response.status} ${JSON.stringify(error)}`).toBe(true);
      };
      const flag = (flagKey: string, environment?: string) => ({
        params: { path: { flagKey }, query: environment ? { environment } : {} },
      });

      // ~20 changes while the receiver is down.
      await change(api().POST('/api/admin/flags', { body: { key: 'wh-0' } }));
      await change(api().PATCH('/api/admin/flags/{flagKey}', { ...flag('wh-0'), body: { enabled: true } }));
      await change(
        api().POST('/api/admin/flags/{flagKey}/users', {
          ...flag('wh-0'),
          body: { userId: 'u-0', overrideType: 'include' },
        }),
      );

      // The failures are visible through the API while the outage lasts.
      const failing = await waitFor(
        'a failed attempt to show',
        async () => {
          const found = (await listWebhooks()).find((webhook) => webhook.id === all.id);
          return found?.deliveries.lastError ? found : undefined;
        },
        5_000,
      );
      const inOutage = await deliveries(all.id);
      expect(Date.now()).toBeLessThan(receiver.upAt);
      expect(failing.deliveries).toMatchObject({
        delivered: 0,
        failed: 0,
        lastError: 'HTTP 503',
        lastDeliveredAt: null,
      });
      expect(failing.deliveries.pending).toBeGreaterThan(0);
      for (const delivery of inOutage) webhookDeliverySchema.parse(delivery);
      expect(inOutage.every((delivery) => delivery.status === 'pending' && delivery.deliveredAt === null)).toBe(true);
      const retried = inOutage.filter((delivery) => delivery.lastError !== null);
      expect(retried.length).toBeGreaterThan(0);
      for (const delivery of retried) {
        expect(delivery).toMatchObject({ lastStatusCode: 503, lastError: 'HTTP 503' });
        expect(delivery.attempts).toBeGreaterThan(0);
        expect(Date.parse(delivery.nextAttemptAt ?? '')).toBeGreaterThan(Date.now() - 1_000);
      }

      expect((await answer(api().DELETE('/api/admin/webhooks/{id}', byId(doomed.id)))).status).toBe(204);
      for (let i = 1; i <= 4; i++) {
        await change(api().POST('/api/admin/flags', { body: { key: `wh-${i}`, description: `flag ${i}` } }));
        await change(
          api().PATCH('/api/admin/flags/{flagKey}', {
            ...flag(`wh-${i}`, 'development'),
            body: { rolloutPercentage: i * 10 },
          }),
        );
        await change(
          api().POST('/api/admin/flags/{flagKey}/users', {
            ...flag(`wh-${i}`, 'development'),
            body: { userId: `u-${i}`, overrideType: 'exclude' },
          }),
        );
      }
      await change(
        api().DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { flagKey: 'wh-0', userId: 'u-0' } },
        }),
      );
      await change(api().POST('/api/admin/tokens', { body: { name: 'wh token', role: 'viewer' } }));
      await change(api().DELETE('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'wh-4' } } }));

      // The events as the API shows them once sealed (with their position and hash), as the webhooks carry them.
      await sealAudit(t);
      const events = await auditSince(t, mark);
      expect(events.length).toBeGreaterThanOrEqual(21);
      const deliveredToAll = events; // its own webhook.created included: the webhook existed in that transaction
      const lifecycleCreated = events.findIndex(
        (event) => event.type === 'webhook.created' && event.data.webhookId === lifecycle.id,
      );
      const deliveredToLifecycle = events
        .slice(lifecycleCreated + 1)
        .filter((event) => event.type === 'flag.created' || event.type === 'flag.deleted');
      expect(deliveredToLifecycle.map((event) => event.type)).toEqual([
        ...Array.from({ length: 5 }, () => 'flag.created'),
        'flag.deleted',
      ]);

      const idsOf = (list: AuditEvent[]) => list.map((event) => event.id).sort();
      await waitFor(
        'every event to be accepted',
        () =>
          receiver.accepted('/all').size >= deliveredToAll.length &&
          receiver.accepted('/lifecycle').size >= deliveredToLifecycle.length
            ? true
            : undefined,
        OUTAGE_MS + 20_000,
      );
      // None lost, none extra, and nothing for types the filter leaves out or for the deleted webhook.
      expect([...receiver.accepted('/all').keys()].sort()).toEqual(idsOf(deliveredToAll));
      expect([...receiver.accepted('/lifecycle').keys()].sort()).toEqual(idsOf(deliveredToLifecycle));
      expect(receiver.requests.filter((request) => request.path === '/deleted' && request.status === 200)).toEqual([]);
      const refused = receiver.requests.filter((request) => request.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((request) => request.at < receiver.upAt)).toBe(true);
      expect(Math.min(...[...receiver.accepted('/all').values()].map((request) => request.at))).toBeGreaterThanOrEqual(
        receiver.upAt,
      );

      // Each request: valid signature over the exact body, the event as the API shows it, and its headers.
      const secrets: Record<string, string> = {
        '/all': SECRET_ALL,
        '/lifecycle': SECRET_FLAGS,
        '/deleted': doomed.secret,
      };
      for (const request of receiver.requests) {
        const secret = secrets[request.path] ?? '';
        expect(signatureValid(secret, request), `signature of ${request.headers['x-flagline-event-id']}`).toBe(true);
        expect(signatureValid(`${secret}x`, request)).toBe(false);
        const event = auditEventSchema.parse(JSON.parse(request.body));
        expect(event).toEqual(events.find((item) => item.id === event.id));
        expect(request.headers).toMatchObject({
          'content-type': 'application/json',
          'x-flagline-event-id': event.id,
          'x-flagline-event-type': event.type,
          'user-agent': 'Flagline-Webhooks/1',
        });
        // Signed when sent: not before the event happened, not after it arrived (whole seconds). No tighter bound:
        // on a loaded machine the send itself can take seconds.
        const timestamp = Number(request.headers['x-flagline-timestamp']);
        expect(timestamp).toBeGreaterThanOrEqual(Math.floor(Date.parse(event.occurredAt) / 1000));
        expect(timestamp * 1000).toBeLessThanOrEqual(request.at);
        expect(request.headers['webhook-timestamp']).toBe(request.headers['x-flagline-timestamp']);
      }

      // Status through the API: everything delivered, nothing pending, the last error cleared.
      const settled = await waitFor(
        'the deliveries to be marked delivered',
        async () => {
          const list = await listWebhooks();
          return list.every((webhook) => webhook.deliveries.pending === 0) ? list : undefined;
        },
        5_000,
      );
      expect(settled.map((webhook) => [webhook.id, webhook.deliveries])).toEqual([
        [
          lifecycle.id,
          {
            pending: 0,
            delivered: deliveredToLifecycle.length,
            failed: 0,
            lastDeliveredAt: expect.any(String),
            lastError: null,
          },
        ],
        [
          all.id,
          {
            pending: 0,
            delivered: deliveredToAll.length,
            failed: 0,
            lastDeliveredAt: expect.any(String),
            lastError: null,
          },
        ],
      ]);
      const final = await deliveries(all.id);
      expect(final.map((delivery) => delivery.eventId).sort()).toEqual(idsOf(deliveredToAll));
      for (const delivery of final) {
        expect(delivery).toMatchObject({
          status: 'delivered',
          lastStatusCode: 200,
          lastError: null,
          nextAttemptAt: null,
        });
        expect(Date.parse(delivery.deliveredAt ?? '')).toBeGreaterThanOrEqual(receiver.upAt - 1_000);
      }
      // The first events were retried through the outage, with backoff.
      const first = final.find((delivery) => delivery.eventId === events[0]?.id);
      // (attempts count sends; how many fit in the outage depends on the machine's speed, so only "more than one")
      expect(first?.attempts).toBeGreaterThanOrEqual(2);
      expect(first?.attempts).toBeLessThan(30);
      // The deleted webhook's undelivered events were dropped with it.
      const dropped = await t.deps.database.db
        .select({ status: webhookDeliveries.status, lastError: webhookDeliveries.lastError })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, doomed.id));
      expect(dropped.length).toBeGreaterThan(0);
      expect(dropped.every((row) => row.status === 'failed' && row.lastError === 'webhook deleted')).toBe(true);
      // Most of the changes were made while the receiver was down.
      expect(events.filter((event) => Date.parse(event.occurredAt) < receiver.upAt).length).toBeGreaterThanOrEqual(10);
    }, 60_000);

    it('never delivers an event before its transaction commits', async () => {
      const gate = deferred();
      let written: AuditEvent | undefined;
      const uow = unitOfWork(t.deps);
      const context = { actor: { type: 'system' as const, id: 'held-open', email: null }, requestId: null };
      const held = runChange(uow, context, async ({ tx, audit }) => {
        await tx.insert(environments).values({ key: 'held', name: 'Held' });
        written = await audit.record({
          type: 'environment.created',
          environment: 'held',
          data: { key: 'held', name: 'Held' },
          after: { key: 'held', name: 'Held' },
        });
        await gate.promise;
      });
      const event = await waitFor('the event to be written (uncommitted)', () => written, 10_000);
      // The event and its outbox row exist, in the open transaction only; the dispatcher keeps looking.
      for (let i = 0; i < 15; i++) {
        jobs.webhooks.wake();
        await sleep(100);
      }
      if (backend === 'postgres') {
        // From outside the transaction, the outbox row is not there to claim (PGlite runs one transaction at a time).
        const outside = await t.deps.database.db
          .select({ n: count() })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.eventId, BigInt(event.id)));
        expect(outside).toEqual([{ n: 0 }]);
        expect(await jobs.webhooks.runOnce()).toBe(0);
      }
      const seen = () => receiver.requests.filter((request) => request.headers['x-flagline-event-id'] === event.id);
      expect(seen()).toEqual([]);

      const committing = Date.now();
      gate.resolve();
      await held;
      const received = await waitFor('the committed event', () => receiver.accepted('/all').get(event.id), 10_000);
      expect(received.at).toBeGreaterThanOrEqual(committing);
      expect(seen().every((request) => request.at >= committing)).toBe(true);
      expect(auditEventSchema.parse(JSON.parse(received.body))).toMatchObject({
        id: event.id,
        type: 'environment.created',
      });
    }, 30_000);

    it('sends nothing for a change that rolled back after writing its event and outbox row', async () => {
      const db = t.deps.database.db;
      const mark = await auditMark(t);
      const requestsBefore = receiver.requests.length;

      // 1. Over HTTP: the config version bump, which runs after the event and the outbox insert, is made to fail.
      const [state] = await db.select({ version: configState.version }).from(configState);
      await db.execute(
        sql.raw(`alter table config_state add constraint test_frozen check (version <= ${state?.version})`),
      );
      try {
        expectError(await answer(api().POST('/api/admin/flags', { body: { key: 'wh-rolled-back' } })), 500, 'INTERNAL');
      } finally {
        await db.execute(sql`alter table config_state drop constraint test_frozen`);
      }
      expectError(
        await answer(api().GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'wh-rolled-back' } } })),
        404,
        'NOT_FOUND',
      );

      // 2. In process: the work itself fails after recording its event.
      const uow = unitOfWork(t.deps);
      const context = { actor: { type: 'system' as const, id: 'doomed', email: null }, requestId: null };
      let recordedId: string | undefined;
      await expect(
        runChange(uow, context, async ({ audit }) => {
          const event = await audit.record({
            type: 'flag.deleted',
            flagKey: 'wh-1',
            data: { flagKey: 'wh-1', cancelledScheduleIds: [] },
          });
          recordedId = event.id;
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(recordedId).toMatch(/^\d+$/);

      // A committed change afterwards is delivered; once it has arrived, the rolled-back ones provably never will.
      const response = await answer(api().POST('/api/admin/flags', { body: { key: 'wh-after-rollback' } }));
      expect(response.status).toBe(201);
      const committed = await auditSince(t, mark);
      expect(committed.map((event) => [event.type, event.flagKey])).toEqual([['flag.created', 'wh-after-rollback']]);
      const barrier = committed[0]?.id ?? '';
      await waitFor('the committed change to arrive', () => receiver.accepted('/all').get(barrier), 10_000);
      await waitFor('the lifecycle webhook too', () => receiver.accepted('/lifecycle').get(barrier), 10_000);
      for (let i = 0; i < 5; i++) {
        jobs.webhooks.wake();
        await sleep(100);
      }
      const after = receiver.requests.slice(requestsBefore);
      expect(after.map((request) => request.headers['x-flagline-event-id'])).toEqual(
        after.map(() => barrier), // only the committed event, to each webhook (a retry would repeat it)
      );
      expect(after.some((request) => request.body.includes('wh-rolled-back'))).toBe(false);
      expect(after.some((request) => request.headers['x-flagline-event-id'] === recordedId)).toBe(false);
      // No outbox row survived without its event, and the chain skips the rolled-back ids cleanly.
      const orphans = await db
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(notExists(db.select().from(auditEventsTable).where(eq(auditEventsTable.id, webhookDeliveries.eventId))));
      expect(orphans).toEqual([{ n: 0 }]);
      expect((await auditEvents(t, { flagKey: 'wh-rolled-back' })).length).toBe(0);
      const verification = await answer(api().GET('/api/admin/audit/verify'));
      expect(expectStatus(verification, 200)).toMatchObject({ ok: true, firstBrokenId: null });
    }, 30_000);
  });
});
