import { type AuditEvent, type AuditPage, auditEventSchema, bucket, type CreatedToken } from '@flagline/core';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configState, flagOverrides, flags } from '../../src/db/schema';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp, type TestResponse } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditEvents,
  auditMark,
  auditSince,
  expectError,
  expectFieldError,
  expectStatus,
  tokenIdOf,
} from '../helpers/http';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(testBackends())('audit and evaluation (%s)', (backend) => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let clientApi: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    t = await createTestApp(backend);
    api = apiClient(t);
    clientApi = apiClient(t, t.tokens.client);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  describe('audit events', () => {
    let operator: CreatedToken;
    beforeAll(async () => {
      const response = await t.request<CreatedToken>('POST', '/api/admin/tokens', {
        body: { name: 'operator', role: 'admin' },
      });
      operator = expectStatus(response, 201);
    });

    /** Sends one change as the operator token and returns the one event it wrote. */
    const change = async (
      method: string,
      path: string,
      body: unknown,
      status: number,
    ): Promise<{ event: AuditEvent; response: TestResponse }> => {
      const mark = await auditMark(t);
      const response = await t.request(method, path, { token: operator.secret, body });
      expectStatus(response, status);
      await sealAudit(t);
      const events = await auditSince(t, mark);
      expect(events, `events written by ${method} ${path}`).toHaveLength(1);
      const event = auditEventSchema.parse(events[0]);
      expect(event.actor).toEqual({ type: 'token', id: operator.id, email: null });
      expect(event.requestId).toBe(response.headers.get('x-request-id'));
      expect(event.requestId).toBeTruthy();
      expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(event.position).toBeGreaterThan(0);
      return { event, response };
    };

    it('writes exactly one event per change, with the actor, before/after, request id, environment and flag', async () => {
      const created = await change('POST', '/api/admin/flags', { key: 'aud-flag', description: 'first' }, 201);
      expect(created.event).toMatchObject({
        type: 'flag.created',
        flagKey: 'aud-flag',
        environment: null,
        data: { flagKey: 'aud-flag', description: 'first' },
        before: null,
        after: {
          key: 'aud-flag',
          description: 'first',
          states: [
            { environment: 'development', enabled: false, rolloutPercentage: 0, version: 1 },
            { environment: 'production', enabled: false, rolloutPercentage: 0, version: 1 },
          ],
        },
      });

      const updated = await change(
        'PATCH',
        '/api/admin/flags/aud-flag?environment=development',
        { enabled: true },
        200,
      );
      expect(updated.event).toMatchObject({
        type: 'flag.updated',
        flagKey: 'aud-flag',
        environment: 'development',
        data: { flagKey: 'aud-flag', changedFields: ['enabled'] },
        before: { description: 'first', enabled: false, rolloutPercentage: 0, version: 1 },
        after: { description: 'first', enabled: true, rolloutPercentage: 0, version: 2 },
      });

      const posted = await change(
        'POST',
        '/api/admin/flags/aud-flag',
        { rolloutPercentage: 40, description: 'x' },
        200,
      );
      expect(posted.event).toMatchObject({
        type: 'flag.updated',
        environment: 'production',
        data: { changedFields: ['description', 'rolloutPercentage'] },
        before: { rolloutPercentage: 0, description: 'first' },
        after: { rolloutPercentage: 40, description: 'x', version: 2 },
      });

      const set = await change(
        'POST',
        '/api/admin/flags/aud-flag/users?environment=development',
        { userId: 'u1', overrideType: 'include', reason: 'tester' },
        201,
      );
      expect(set.event).toMatchObject({
        type: 'flag_override.set',
        flagKey: 'aud-flag',
        environment: 'development',
        data: { flagKey: 'aud-flag', userId: 'u1', overrideType: 'include', reason: 'tester' },
        before: null,
        after: { userId: 'u1', overrideType: 'include', reason: 'tester' },
      });

      const removed = await change(
        'DELETE',
        '/api/admin/flags/aud-flag/users/u1?environment=development',
        undefined,
        204,
      );
      expect(removed.event).toMatchObject({
        type: 'flag_override.removed',
        flagKey: 'aud-flag',
        environment: 'development',
        before: { userId: 'u1', overrideType: 'include', reason: 'tester' },
        after: null,
      });

      const token = await change(
        'POST',
        '/api/admin/tokens',
        { name: 'aud client', role: 'client', environment: 'development' },
        201,
      );
      const tokenId = (token.response.body as { id: string }).id;
      expect(token.event).toMatchObject({
        type: 'token.created',
        flagKey: null,
        environment: 'development',
        data: { tokenId, name: 'aud client', role: 'client', environment: 'development' },
        before: null,
      });

      const revoked = await change('DELETE', `/api/admin/tokens/${tokenId}`, undefined, 204);
      expect(revoked.event).toMatchObject({
        type: 'token.revoked',
        environment: 'development',
        data: { tokenId, role: 'client' },
        before: { id: tokenId, revokedAt: null },
      });
      expect(Date.parse(String(revoked.event.after?.revokedAt))).not.toBeNaN();

      const environment = await change('POST', '/api/admin/environments', { key: 'aud-env', name: 'Audit' }, 201);
      expect(environment.event).toMatchObject({
        type: 'environment.created',
        environment: 'aud-env',
        flagKey: null,
        data: { key: 'aud-env', name: 'Audit' },
        before: null,
        after: { key: 'aud-env', name: 'Audit' },
      });

      const deleted = await change('DELETE', '/api/admin/flags/aud-flag', undefined, 204);
      expect(deleted.event).toMatchObject({
        type: 'flag.deleted',
        flagKey: 'aud-flag',
        data: { flagKey: 'aud-flag', cancelledScheduleIds: [] },
        before: { key: 'aud-flag', description: 'x' },
        after: null,
      });
    });

    it('takes the request id from X-Request-Id when the client sends one', async () => {
      const mark = await auditMark(t);
      const response = await t.request('POST', '/api/admin/flags', {
        body: { key: 'aud-request-id' },
        headers: { 'x-request-id': 'deploy-4711' },
      });
      expectStatus(response, 201);
      expect(response.headers.get('x-request-id')).toBe('deploy-4711');
      const [event] = await auditSince(t, mark);
      expect(event?.requestId).toBe('deploy-4711');
    });

    it('never takes the actor from the body', async () => {
      const mark = await auditMark(t);
      const actor = { type: 'user', id: 'mallory', email: 'mallory@example.com' };
      expectFieldError(await t.request('POST', '/api/admin/flags', { body: { key: 'aud-spoof', actor } }), 'actor');
      expectFieldError(
        await t.request('POST', '/api/admin/flags', { body: { key: 'aud-spoof', createdBy: 'mallory' } }),
        'createdBy',
      );
      expect(await auditSince(t, mark)).toEqual([]);
      const created = await t.request('POST', '/api/admin/flags', { body: { key: 'aud-spoof' } });
      expectStatus(created, 201);
      const [event] = await auditSince(t, mark);
      expect(event?.actor).toEqual({ type: 'token', id: await tokenIdOf(t, t.tokens.admin), email: null });
    });

    it('writes nothing for requests that fail or change nothing', async () => {
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'aud-quiet' } }), 201);
      const mark = await auditMark(t);
      expectError(await t.request('POST', '/api/admin/flags', { body: { key: 'aud-quiet' } }), 409, 'ALREADY_EXISTS');
      expectError(
        await t.request('PATCH', '/api/admin/flags/aud-quiet', { body: { rolloutPercentage: 101 } }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await t.request('PATCH', '/api/admin/flags/aud-quiet', {
          body: { enabled: true },
          headers: { 'if-match': '7' },
        }),
        412,
        'PRECONDITION_FAILED',
      );
      expectError(await t.request('DELETE', '/api/admin/flags/aud-missing'), 404, 'NOT_FOUND');
      expectError(
        await t.request('POST', '/api/admin/flags', { token: t.tokens.viewer, body: { key: 'v' } }),
        403,
        'FORBIDDEN',
      );
      expectStatus(await t.request('PATCH', '/api/admin/flags/aud-quiet', { body: { enabled: false } }), 200);
      expectError(
        await t.request('DELETE', `/api/admin/tokens/${operator.id}`, { token: t.tokens.viewer }),
        403,
        'FORBIDDEN',
      );
      expect(await auditSince(t, mark)).toEqual([]);
    });

    describe('queries', () => {
      let all: AuditEvent[];
      beforeAll(async () => {
        expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'aud-q1' } }), 201);
        expectStatus(
          await t.request('POST', '/api/admin/flags', { token: operator.secret, body: { key: 'aud-q2' } }),
          201,
        );
        for (const rolloutPercentage of [10, 20, 30]) {
          const response = await t.request('PATCH', '/api/admin/flags/aud-q1?environment=development', {
            body: { rolloutPercentage },
          });
          expectStatus(response, 200);
        }
        all = await auditEvents(t);
      });

      it('lists newest first with strictly decreasing ids', async () => {
        const ids = all.map((event) => BigInt(event.id));
        expect(ids.length).toBeGreaterThan(10);
        for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! > ids[i]!).toBe(true);
      });

      it('filters by flagKey, type, environment and actorId', async () => {
        const q1 = await auditEvents(t, { flagKey: 'aud-q1' });
        expect(q1.map((event) => event.type)).toEqual(['flag.updated', 'flag.updated', 'flag.updated', 'flag.created']);
        const updates = await auditEvents(t, { flagKey: 'aud-q1', type: 'flag.updated', environment: 'development' });
        expect(updates.map((event) => event.after?.rolloutPercentage)).toEqual([30, 20, 10]);
        expect(await auditEvents(t, { flagKey: 'aud-q1', environment: 'production' })).toEqual([]);

        const byOperator = await auditEvents(t, { actorId: operator.id });
        expect(byOperator.length).toBeGreaterThan(0);
        expect(byOperator.every((event) => event.actor.id === operator.id)).toBe(true);
        expect(byOperator.map((event) => event.flagKey)).toContain('aud-q2');
        expect(byOperator.map((event) => event.flagKey)).not.toContain('aud-q1');

        const created = await auditEvents(t, { type: 'flag.created' });
        expect(created.every((event) => event.type === 'flag.created')).toBe(true);
        expect(created).toEqual(all.filter((event) => event.type === 'flag.created'));
      });

      it('filters by time: from is inclusive, to is exclusive', async () => {
        const [newest, , middle] = await auditEvents(t, { flagKey: 'aud-q1' });
        if (!newest || !middle) throw new Error('expected events');
        const from = await auditEvents(t, { flagKey: 'aud-q1', from: middle.occurredAt });
        expect(from.map((event) => event.id)).toContain(middle.id);
        expect(from.every((event) => event.occurredAt >= middle.occurredAt)).toBe(true);
        const to = await auditEvents(t, { flagKey: 'aud-q1', to: middle.occurredAt });
        expect(to.map((event) => event.id)).not.toContain(middle.id);
        expect(to.every((event) => event.occurredAt < middle.occurredAt)).toBe(true);
        expect(from.length + to.length).toBe(4);
        // offsets are honoured: the same instant written in another zone
        const shifted = new Date(Date.parse(newest.occurredAt) + 1).toISOString().replace('Z', '+00:00');
        expect(await auditEvents(t, { flagKey: 'aud-q1', from: shifted })).toEqual([]);
        expect(await auditEvents(t, { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00+02:00' })).toEqual([]);
      });

      it('pages through everything with the keyset cursor, newest first', async () => {
        const seen: AuditEvent[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: string = `limit=4${cursor ? `&cursor=${cursor}` : ''}`;
          const page = expectStatus(await t.request<AuditPage>('GET', `/api/admin/audit?${query}`), 200);
          expect(page.items.length).toBeLessThanOrEqual(4);
          seen.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 100);
        expect(seen).toEqual(all);
        expect(pages).toBe(Math.ceil(all.length / 4));

        // the cursor keeps the filters' meaning
        const first = expectStatus(await t.request<AuditPage>('GET', '/api/admin/audit?flagKey=aud-q1&limit=3'), 200);
        expect(first.nextCursor).not.toBeNull();
        const second = expectStatus(
          await t.request<AuditPage>('GET', `/api/admin/audit?flagKey=aud-q1&limit=3&cursor=${first.nextCursor}`),
          200,
        );
        expect(second).toMatchObject({ items: [{ type: 'flag.created', flagKey: 'aud-q1' }], nextCursor: null });
      });

      it.each([
        ['type', 'flag.exploded'],
        ['flagKey', 'Bad Key'],
        ['environment', 'Prod'],
        ['from', 'yesterday'],
        ['from', '2024-13-01T00:00:00Z'],
        ['from', '0000-01-01T00:00:00Z'],
        ['from', '0001-01-01T00:00:00+01:00'],
        ['to', '9999-12-31T23:00:00-01:00'],
        ['to', '2024-01-01'],
        ['limit', '0'],
        ['limit', '501'],
        ['limit', 'ten'],
        ['cursor', 'garbage!'],
        ['cursor', cursorOf({ i: 'abc' })],
        ['cursor', cursorOf({ i: '9999999999999999999' })],
        ['cursor', cursorOf({ i: '-1' })],
        ['actorId', ''],
        ['actorId', 'a'.repeat(256)],
      ])('answers 400 for %s=%j', async (name, value) => {
        const response = await t.request('GET', `/api/admin/audit?${new URLSearchParams({ [name]: value })}`);
        expectFieldError(response, name, 'query');
      });

      it('accepts the extreme representable instants', async () => {
        const query = new URLSearchParams({ from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z' });
        const page = expectStatus(await t.request<AuditPage>('GET', `/api/admin/audit?${query}&limit=500`), 200);
        expect(page.items).toEqual(all);
      });

      it('gets one event by id, and answers 404 for an unknown or malformed id', async () => {
        const [event] = all;
        if (!event) throw new Error('expected an event');
        expect(expectStatus(await t.request('GET', `/api/admin/audit/${event.id}`), 200)).toEqual(event);
        for (const id of ['999999', '0', 'abc', '-1', '1.5', '99999999999999999999']) {
          expectError(await t.request('GET', `/api/admin/audit/${id}`), 404, 'NOT_FOUND');
        }
      });

      it('verifies the hash chain over every event', async () => {
        await sealAudit(t);
        const response = await t.request('GET', '/api/admin/audit/verify', { token: t.tokens.viewer });
        const verification = expectStatus(response, 200) as { ok: boolean; checked: number };
        expect(verification).toEqual({
          ok: true,
          checked: expect.any(Number),
          firstBrokenId: null,
          unsealed: 0,
          problem: null,
          checkpoints: 0,
        });
        expect(verification.checked).toBeGreaterThanOrEqual(all.length);
      });
    });
  });

  describe('a change whose audit insert fails', () => {
    const db = () => t.deps.database.db;
    const configVersion = async () => {
      const [row] = await db().select({ version: configState.version }).from(configState);
      return row?.version;
    };
    /** Makes the database itself refuse audit events of one type, for the duration of `run`. */
    const rejectingAuditType = async (type: string, run: () => Promise<void>) => {
      await db().execute(
        sql.raw(`ALTER TABLE audit_events ADD CONSTRAINT test_reject CHECK (type <> '${type}') NOT VALID`),
      );
      try {
        await run();
      } finally {
        await db().execute(sql`ALTER TABLE audit_events DROP CONSTRAINT test_reject`);
      }
    };

    it('is rolled back: a flag create answers 500 INTERNAL and the flag does not exist', async () => {
      const version = await configVersion();
      const mark = await auditMark(t);
      await rejectingAuditType('flag.created', async () => {
        const response = await answer(api.POST('/api/admin/flags', { body: { key: 'rollback-create' } }));
        const error = expectError(response, 500, 'INTERNAL');
        expect(error.message).not.toMatch(/audit_events|constraint|test_reject/);
      });
      expect(await db().select().from(flags).where(eq(flags.key, 'rollback-create'))).toEqual([]);
      expectError(
        await answer(api.GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'rollback-create' } } })),
        404,
        'NOT_FOUND',
      );
      expect(await configVersion()).toBe(version);
      expect(await auditSince(t, mark)).toEqual([]);
      const evaluated = await answer(clientApi.GET('/api/config/flags'));
      expect(expectStatus(evaluated, 200)).not.toHaveProperty('rollback-create');
      // once the database accepts the event again, the same request succeeds
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'rollback-create' } })), 201);
    });

    it('is rolled back: an update and an override keep their previous state', async () => {
      const rollbackUpdate = { path: { flagKey: 'rollback-update' } };
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'rollback-update' } })), 201);
      await rejectingAuditType('flag.updated', async () => {
        const response = await answer(
          api.PATCH('/api/admin/flags/{flagKey}', {
            params: rollbackUpdate,
            body: { enabled: true, rolloutPercentage: 100 },
          }),
        );
        expectError(response, 500, 'INTERNAL');
      });
      const view = await answer(api.GET('/api/admin/flags/{flagKey}', { params: rollbackUpdate }));
      expect(expectStatus(view, 200)).toMatchObject({ enabled: false, rolloutPercentage: 0, version: 1 });

      await rejectingAuditType('flag_override.set', async () => {
        const response = await answer(
          api.POST('/api/admin/flags/{flagKey}/users', {
            params: rollbackUpdate,
            body: { userId: 'rollback-user', overrideType: 'include' },
          }),
        );
        expectError(response, 500, 'INTERNAL');
      });
      expect(await db().select().from(flagOverrides).where(eq(flagOverrides.userId, 'rollback-user'))).toEqual([]);
      const overrides = await answer(api.GET('/api/admin/flags/{flagKey}/users', { params: rollbackUpdate }));
      expect(expectStatus(overrides, 200).pagination.total).toBe(0);
    });
  });

  describe('evaluation', () => {
    // users on either side of a 50% rollout of eval-half
    const inside = Array.from({ length: 200 }, (_, i) => `user-${i}`).find((id) => bucket('eval-half', id) <= 50)!;
    const outside = Array.from({ length: 200 }, (_, i) => `user-${i}`).find((id) => bucket('eval-half', id) > 50)!;

    const evaluateAll = async (query: { userId?: string; environment?: string } = {}, token = t.tokens.client) =>
      expectStatus(await answer(apiClient(t, token).GET('/api/config/flags', { params: { query } })), 200);

    beforeAll(async () => {
      const states: [string, { enabled: boolean; rolloutPercentage: number }][] = [
        ['eval-off', { enabled: false, rolloutPercentage: 100 }],
        ['eval-full', { enabled: true, rolloutPercentage: 100 }],
        ['eval-half', { enabled: true, rolloutPercentage: 50 }],
        ['eval-zero', { enabled: true, rolloutPercentage: 0 }],
      ];
      for (const [key, body] of states) {
        expectStatus(await answer(api.POST('/api/admin/flags', { body: { key, description: `${key} flag` } })), 201);
        expectStatus(
          await answer(api.PATCH('/api/admin/flags/{flagKey}', { params: { path: { flagKey: key } }, body })),
          200,
        );
      }
      const overrides: [string, string, 'include' | 'exclude'][] = [
        ['eval-zero', 'vip', 'include'],
        ['eval-off', 'vip', 'include'],
        ['eval-full', 'banned', 'exclude'],
        ['eval-half', inside, 'exclude'],
      ];
      for (const [key, userId, overrideType] of overrides) {
        const response = await answer(
          api.POST('/api/admin/flags/{flagKey}/users', {
            params: { path: { flagKey: key } },
            body: { userId, overrideType },
          }),
        );
        expectStatus(response, 201);
      }
    });

    it('evaluates every flag for a user', async () => {
      expect(inside).toBeDefined();
      expect(outside).toBeDefined();
      const plain = await evaluateAll({ userId: outside });
      expect(plain).toMatchObject({ 'eval-off': false, 'eval-full': true, 'eval-half': false, 'eval-zero': false });
      expect(Object.values(plain).every((value) => typeof value === 'boolean')).toBe(true);
      // a user inside the 50% who is not excluded
      const insideOthers = Array.from({ length: 400 }, (_, i) => `other-${i}`).filter(
        (id) => bucket('eval-half', id) <= 50,
      );
      for (const id of insideOthers.slice(0, 5)) expect((await evaluateAll({ userId: id }))['eval-half']).toBe(true);
    });

    it('serves partial rollouts to nobody without a userId', async () => {
      for (const query of [{}, { userId: '' }]) {
        expect(await evaluateAll(query)).toMatchObject({
          'eval-off': false,
          'eval-full': true,
          'eval-half': false,
          'eval-zero': false,
        });
      }
    });

    it('applies overrides, but the kill switch beats an include', async () => {
      expect(await evaluateAll({ userId: 'vip' })).toMatchObject({ 'eval-zero': true, 'eval-off': false });
      expect(await evaluateAll({ userId: 'banned' })).toMatchObject({ 'eval-full': false });
      expect(await evaluateAll({ userId: inside })).toMatchObject({ 'eval-half': false });
    });

    it('answers GET /api/config/flags/:flagKey with the public shape, and 404 for an unknown flag', async () => {
      const response = await answer(
        clientApi.GET('/api/config/flags/{flagKey}', { params: { path: { flagKey: 'eval-half' } } }),
      );
      expect(expectStatus(response, 200)).toEqual({
        key: 'eval-half',
        enabled: true,
        rolloutPercentage: 50,
        description: 'eval-half flag',
      });
      for (const flagKey of ['eval-missing', 'Bad Key', 'k'.repeat(300)]) {
        const response = await answer(clientApi.GET('/api/config/flags/{flagKey}', { params: { path: { flagKey } } }));
        expectError(response, 404, 'NOT_FOUND');
      }
    });

    it('lets an admin token pick the environment, and validates it', async () => {
      const development = await evaluateAll({ environment: 'development' }, t.tokens.admin);
      expect(development).toMatchObject({ 'eval-full': false, 'eval-zero': false });
      const nowhere = { environment: 'nowhere' };
      expectError(await answer(api.GET('/api/config/flags', { params: { query: nowhere } })), 404, 'NOT_FOUND');
      expectError(
        await answer(
          api.GET('/api/config/flags/{flagKey}', { params: { path: { flagKey: 'eval-full' }, query: nowhere } }),
        ),
        404,
        'NOT_FOUND',
      );
      const malformed = await answer(api.GET('/api/config/flags', { params: { query: { environment: 'NOPE' } } }));
      expectFieldError(malformed, 'environment', 'query');
      const longUser = await answer(api.GET('/api/config/flags', { params: { query: { userId: 'u'.repeat(256) } } }));
      expectFieldError(longUser, 'userId', 'query');
    });

    it('reflects a change as soon as the change request returns', async () => {
      const evalLive = { path: { flagKey: 'eval-live' } };
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'eval-live' } })), 201);
      expect(await evaluateAll({ userId: 'u1' })).toHaveProperty('eval-live', false);
      for (const rolloutPercentage of [100, 0, 100, 0, 100]) {
        const body = { enabled: true, rolloutPercentage };
        expectStatus(await answer(api.PATCH('/api/admin/flags/{flagKey}', { params: evalLive, body })), 200);
        expect((await evaluateAll({ userId: 'u1' }))['eval-live']).toBe(rolloutPercentage === 100);
      }
      const exclude = { userId: 'u1', overrideType: 'exclude' } as const;
      expectStatus(
        await answer(api.POST('/api/admin/flags/{flagKey}/users', { params: evalLive, body: exclude })),
        201,
      );
      expect((await evaluateAll({ userId: 'u1' }))['eval-live']).toBe(false);
      const removed = await api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
        params: { path: { flagKey: 'eval-live', userId: 'u1' } },
      });
      expect(removed.response.status).toBe(204);
      expect((await evaluateAll({ userId: 'u1' }))['eval-live']).toBe(true);
      expectStatus(
        await answer(api.PATCH('/api/admin/flags/{flagKey}', { params: evalLive, body: { description: 'now' } })),
        200,
      );
      const one = await answer(clientApi.GET('/api/config/flags/{flagKey}', { params: evalLive }));
      expect(expectStatus(one, 200)).toMatchObject({ description: 'now' });
      expect((await api.DELETE('/api/admin/flags/{flagKey}', { params: evalLive })).response.status).toBe(204);
      expect(await evaluateAll({ userId: 'u1' })).not.toHaveProperty('eval-live');
      expectError(await answer(clientApi.GET('/api/config/flags/{flagKey}', { params: evalLive })), 404, 'NOT_FOUND');
    });
  });
});
