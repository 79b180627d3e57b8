import { Writable } from 'node:stream';
import type { AuditEvent, CreatedWebhook } from '@flagline/core';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { webhookDeliveries, webhooks } from '../../src/db/schema';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher';
import { legacySignature, standardSigningKey } from '../../src/webhooks/signing';
import { type Resolve, TargetPolicy } from '../../src/webhooks/target-policy';
import { maskUrl } from '../../src/webhooks/url-masking';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditMark, auditSince, expectFieldError, expectStatus } from '../helpers/http';
import { freePort } from '../helpers/processes';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver';

/** Addresses no webhook may reach by default, each as a URL host. */
const REFUSED_BY_DEFAULT = [
  'http://127.0.0.1/hook',
  'http://127.9.9.9:8080/hook',
  'http://localhost:4747/api',
  'http://app.localhost/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://2130706433/hook', // 127.0.0.1 as one number
  'http://0x7f.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.1.2.3/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://0.0.0.0/hook',
  'http://[::]/hook',
  'http://[fc00::1]/hook',
  'http://[fd12:3456::1]/hook',
  'http://[fe80::1]/hook',
  'http://224.0.0.1/hook',
];

describe('TargetPolicy', () => {
  it('refuses every non-public range by default and lets listed hosts and ranges through', () => {
    const strict = new TargetPolicy([]);
    for (const url of REFUSED_BY_DEFAULT) expect(strict.refusalOfUrl(new URL(url)), url).toBeDefined();
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(strict.refusalOfAddress(address), address).toBeUndefined();
    }
    expect(strict.refusalOfAddress('169.254.169.254')).toBe('linkLocal');
    expect(strict.refusalOfAddress('100.64.0.1')).toBe('carrierGradeNat');
    expect(strict.refusalOfUrl(new URL('https://hooks.example.com/x'))).toBeUndefined();

    const relaxed = new TargetPolicy(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'hooks.internal']);
    expect(relaxed.refusalOfAddress('127.0.0.1')).toBeUndefined();
    expect(relaxed.refusalOfAddress('::ffff:127.0.0.1')).toBeUndefined();
    expect(relaxed.refusalOfAddress('127.0.0.2')).toBe('loopback');
    expect(relaxed.refusalOfAddress('10.200.0.1')).toBeUndefined();
    expect(relaxed.refusalOfAddress('11.0.0.1')).toBeUndefined();
    expect(relaxed.refusalOfAddress('192.168.0.1')).toBe('private');
    expect(relaxed.refusalOfAddress('fd12::1')).toBeUndefined();
    expect(relaxed.refusalOfAddress('fc00::1')).toBe('uniqueLocal');
    expect(relaxed.trustsHost('HOOKS.internal.')).toBe(true);
    expect(relaxed.refusalOfUrl(new URL('http://localhost/'))).toBeUndefined(); // localhost is 127.0.0.1
  });

  it("judges the addresses a name resolves to, with the system's resolver (localhost is in every hosts file)", async () => {
    const lookup = (policy: TargetPolicy, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        policy.lookup('localhost', { all, family: 4 }, (error, address) => resolve({ error, address })),
      );
    for (const all of [true, false]) {
      const refused = await lookup(new TargetPolicy([]), all);
      expect(refused.error?.name).toBe('TargetNotAllowedError');
      const allowed = await lookup(new TargetPolicy(['127.0.0.0/8']), all);
      expect(allowed.error).toBeNull();
      expect(JSON.stringify(allowed.address)).toContain('127.0.0.1');
    }
  });

  it('masks credentials, query values and fragments of URLs', () => {
    expect(maskUrl('https://user:pa55@hooks.example.com/path?token=abc&channel=ops#frag')).toBe(
      'https://user:***@hooks.example.com/path?token=***&channel=***#***',
    );
    expect(maskUrl('https://s3cr3t@hooks.example.com/p')).toBe('https://***@hooks.example.com/p');
    expect(maskUrl('https://hooks.example.com/p')).toBe('https://hooks.example.com/p');
    expect(maskUrl('not a url')).toBe('***');
  });

  it('keys Standard Webhooks signatures with the bytes after whsec_, and other secrets with their own bytes', () => {
    expect(standardSigningKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual(
      Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
    );
    expect(standardSigningKey('a-secret-of-my-own-choosing')).toEqual(Buffer.from('a-secret-of-my-own-choosing'));
    expect(standardSigningKey('whsec_not base64!')).toEqual(Buffer.from('whsec_not base64!'));
  });
});

describe.each(testBackends())('webhook targets, errors and signatures (%s)', (backend) => {
  /** Default configuration: no allowed targets. */
  let strict: TestApp;
  /** Loopback 127.0.0.1, 10.0.0.0/8 and hooks.internal allowed. */
  let local: TestApp;
  let receiver: Receiver;
  let closedPort: number;
  const logLines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const allowLoopback = new TargetPolicy(['127.0.0.1']);

  beforeAll(async () => {
    strict = await createTestApp(backend);
    local = await createTestApp(backend, {
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1, 10.0.0.0/8, hooks.internal',
      WEBHOOK_TIMEOUT_MS: '2000',
      // One attempt each: every test below sends once and then reads the result.
      WEBHOOK_RETRY_BASE_MS: '3600000',
    });
    receiver = await startReceiver(({ path }) =>
      path.startsWith('/hang') ? 'hang' : path.startsWith('/fail') ? 500 : 200,
    );
    closedPort = await freePort();
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await receiver?.close();
    await strict?.close();
    await local?.close();
  });

  const create = (t: TestApp, body: components['schemas']['CreateWebhookBody']) =>
    answer(apiClient(t).POST('/api/admin/webhooks', { body }));
  const listWebhooks = (t: TestApp, token?: string) => answer(apiClient(t, token).GET('/api/admin/webhooks'));
  const webhookView = (t: TestApp, id: string) =>
    answer(apiClient(t, t.tokens.viewer).GET('/api/admin/webhooks/{id}', { params: { path: { id } } }));
  const deleteWebhook = (t: TestApp, id: string) =>
    answer(apiClient(t).DELETE('/api/admin/webhooks/{id}', { params: { path: { id } } }));
  /** Seals first: deliveries are made as events are sealed, and no sealer runs in these in-process apps. */
  const dispatcher = async (t: TestApp, policy: TargetPolicy) => {
    await sealAudit(t);
    return new WebhookDispatcher(t.deps.database, t.deps.config.webhooks, logger, policy);
  };
  /** Deletes every webhook, so each test's deliveries are its own. */
  const clear = async (t: TestApp) => {
    const list = expectStatus(await listWebhooks(t), 200).items;
    for (const webhook of list) await deleteWebhook(t, webhook.id);
  };
  const deliveriesOf = async (t: TestApp, id: string) =>
    expectStatus(
      await answer(
        apiClient(t, t.tokens.viewer).GET('/api/admin/webhooks/{id}/deliveries', { params: { path: { id } } }),
      ),
      200,
    ).items;
  let environments = 0;
  /** One change, so one event for every webhook. */
  const change = async (t: TestApp) => {
    environments++;
    expectStatus(
      await answer(apiClient(t).POST('/api/admin/environments', { body: { key: `env-${environments}` } })),
      201,
    );
  };

  it('refuses loopback, private, link-local and unspecified targets at creation: 400 naming url, nothing created', async () => {
    const mark = await auditMark(strict);
    for (const url of REFUSED_BY_DEFAULT) {
      const reason = expectFieldError(await create(strict, { url }), 'url', 'body');
      expect(reason, url).toMatch(/may not reach; allow it with WEBHOOK_ALLOWED_TARGETS/);
    }
    expect(expectStatus(await listWebhooks(strict), 200).items).toEqual([]);
    expect(await auditSince(strict, mark)).toEqual([]);
    // A public name is judged when it is connected to, not now (no dispatcher runs here; it is deleted at once).
    const accepted = expectStatus(await create(strict, { url: 'https://hooks.example.com/flagline' }), 201);
    expect((await deleteWebhook(strict, accepted.id)).status).toBe(204);
  });

  it('lets WEBHOOK_ALLOWED_TARGETS hosts and ranges through at creation, and nothing else', async () => {
    for (const url of ['http://127.0.0.1:1/a', 'http://10.20.30.40/b', 'http://hooks.internal:8080/c']) {
      expectStatus(await create(local, { url }), 201);
    }
    for (const url of ['http://127.0.0.2/a', 'http://[::1]/b', 'http://192.168.0.10/c', 'http://169.254.169.254/']) {
      expectFieldError(await create(local, { url }), 'url', 'body');
    }
    await clear(local);
  });

  it('checks the address actually connected to: a name that resolves to loopback (DNS rebinding) is refused', async () => {
    const db = local.deps.database.db;
    // Accepted at creation (a name), resolving to 127.0.0.1 by the time it is delivered to.
    const rebinding = expectStatus(
      await create(local, { url: `${receiver.url.replace('127.0.0.1', 'rebound.test')}/named` }),
      201,
    );
    const toLoopback: Resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    // A webhook stored before targets were checked: its literal address is judged at delivery too.
    const [legacy] = await db
      .insert(webhooks)
      .values({ url: `${receiver.url}/legacy`, secret: 'legacy-secret-0123456789' })
      .returning();
    await change(local);
    const sentBefore = receiver.requests.length;
    // Its own creation and the change for the named webhook, the change for the stored one.
    expect(await (await dispatcher(local, new TargetPolicy([], toLoopback))).runOnce()).toBe(3);
    expect(receiver.requests.length).toBe(sentBefore);
    for (const id of [rebinding.id, legacy?.id ?? '']) {
      for (const delivery of await deliveriesOf(local, id)) {
        expect(delivery).toMatchObject({
          status: 'pending',
          attempts: 1,
          lastError: 'target not allowed',
          lastStatusCode: null,
        });
      }
    }
    const listed = expectStatus(await webhookView(local, rebinding.id), 200);
    expect(listed.deliveries.lastError).toBe('target not allowed');

    // With the range allowed, the same name is delivered to — at the address it resolved to, the receiver.
    await db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: sql`now()` })
      .where(eq(webhookDeliveries.status, 'pending'));
    expect(await (await dispatcher(local, new TargetPolicy(['127.0.0.0/8'], toLoopback))).runOnce()).toBe(3);
    const arrived = receiver.requests.slice(sentBefore).map((request) => request.path);
    expect(arrived.sort()).toEqual(['/legacy', '/named', '/named']);
    for (const delivery of await deliveriesOf(local, rebinding.id)) {
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });
    }
    await clear(local);
  });

  it('shows viewers a sanitised lastError: no response body, no address, no port', async () => {
    const db = local.deps.database.db;
    const refused = expectStatus(await create(local, { url: `http://127.0.0.1:${closedPort}/x` }), 201);
    const failing = expectStatus(await create(local, { url: `${receiver.url}/fail` }), 201);
    const hanging = expectStatus(await create(local, { url: `${receiver.url}/hang` }), 201);
    await change(local);
    await (await dispatcher(local, allowLoopback)).runOnce();
    const expected: [CreatedWebhook, string, number | null][] = [
      [refused, 'connection refused', null],
      [failing, 'HTTP 500', 500],
      [hanging, 'timeout', null],
    ];
    for (const [webhook, error, statusCode] of expected) {
      const deliveries = await deliveriesOf(local, webhook.id);
      expect(deliveries[0]).toMatchObject({ lastError: error, lastStatusCode: statusCode, attempts: 1 });
      const view = await webhookView(local, webhook.id);
      expect(expectStatus(view, 200).deliveries.lastError).toBe(error);
      const shown = JSON.stringify([deliveries, view.body.deliveries]);
      expect(shown).not.toMatch(/internal detail|10\.0\.0\.7|ECONN|5432/);
      expect(shown).not.toContain(String(closedPort));
    }
    // A row written before errors were sanitised holds the socket's own text: viewers get the fixed phrase.
    await db
      .update(webhookDeliveries)
      .set({ lastError: `connect ECONNREFUSED 10.0.0.7:5432` })
      .where(eq(webhookDeliveries.webhookId, refused.id));
    expect((await deliveriesOf(local, refused.id))[0]?.lastError).toBe('request failed');
    await clear(local);
  });

  it('masks credentials and query secrets of webhook URLs in API output, the audit trail and logs', async () => {
    const db = local.deps.database.db;
    const mark = await auditMark(local);
    const secretUrl = `http://127.0.0.1:${closedPort}/hook?token=s3cr3t-query-value&channel=ops`;
    const created = expectStatus(await create(local, { url: secretUrl }), 201);
    expect(created.url).toBe(`http://127.0.0.1:${closedPort}/hook?token=***&channel=***`);
    // Credentials are refused at creation; a row stored before that rule still never shows them.
    const [old] = await db
      .insert(webhooks)
      .values({ url: `http://admin:pa55word@127.0.0.1:${closedPort}/old?sig=abc`, secret: 'old-secret-0123456789' })
      .returning();
    const listed = expectStatus(await listWebhooks(local, local.tokens.viewer), 200).items;
    expect(listed.find((webhook) => webhook.id === old?.id)?.url).toBe(
      `http://admin:***@127.0.0.1:${closedPort}/old?sig=***`,
    );
    const audit: AuditEvent[] = await auditSince(local, mark);
    logLines.length = 0;
    await change(local);
    await (await dispatcher(local, allowLoopback)).runOnce();
    const failures = logLines.filter((line) => line.includes('webhook delivery failed'));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.join('\n')).toContain('token=***');
    const everything = JSON.stringify([created, listed, audit]) + logLines.join('\n');
    expect(audit.map((event) => event.type)).toContain('webhook.created');
    for (const secret of ['s3cr3t-query-value', 'pa55word', 'sig=abc', 'channel=ops'])
      expect(everything).not.toContain(secret);
    await clear(local);
  });

  it('signs the Standard Webhooks way: a real delivery verifies with the standardwebhooks package', async () => {
    const generated = expectStatus(await create(local, { url: `${receiver.url}/standard` }), 201);
    const chosenSecret = 'a-secret-of-my-own-choosing';
    expectStatus(await create(local, { url: `${receiver.url}/chosen`, secret: chosenSecret }), 201);
    const sentBefore = receiver.requests.length;
    await change(local);
    await (await dispatcher(local, allowLoopback)).runOnce();
    const sent = receiver.requests.slice(sentBefore);
    const standard = sent.find((request) => request.path === '/standard');
    const chosen = sent.find((request) => request.path === '/chosen');
    if (!standard || !chosen) throw new Error(`expected both deliveries, got ${sent.map((r) => r.path)}`);

    expect(standard.headers['webhook-id']).toBe(standard.headers['x-flagline-event-id']);
    expect(standard.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The generated secret, exactly as the create response showed it.
    const verified = new StandardWebhook(generated.secret).verify(standard.body, standard.headers) as AuditEvent;
    expect(verified.id).toBe(standard.headers['webhook-id']);
    expect(() => new StandardWebhook(generated.secret).verify(`${standard.body} `, standard.headers)).toThrow();
    // A chosen secret: its own bytes are the key (raw format), or whsec_ + its base64.
    new StandardWebhook(chosenSecret, { format: 'raw' }).verify(chosen.body, chosen.headers);
    new StandardWebhook(`whsec_${Buffer.from(chosenSecret).toString('base64')}`).verify(chosen.body, chosen.headers);
    // The original header is still sent, for one more version.
    expect(chosen.headers['x-flagline-signature']).toBe(
      legacySignature(chosenSecret, chosen.headers['x-flagline-timestamp'] ?? '', chosen.body),
    );
    await clear(local);
  });
});
