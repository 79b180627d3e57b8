import { type FlagPage, type FlagView, flagPageSchema, flagViewSchema } from '@flagline/core';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagOverrides, flagStates, flags } from '../../src/db/schema';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, expectError, expectFieldError, expectStatus } from '../helpers/http';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(testBackends())('flags (%s)', (backend) => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    t = await createTestApp(backend);
    api = apiClient(t);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const create = async (key: string, description?: string): Promise<FlagView> =>
    expectStatus(
      await answer(api.POST('/api/admin/flags', { body: description === undefined ? { key } : { key, description } })),
      201,
    );
  const get = (key: string, environment = 'production') =>
    answer(api.GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: key }, query: { environment } } }));

  describe('create', () => {
    it('answers 201 with the flag disabled at 0%, with a state in every environment', async () => {
      const response = await answer(
        api.POST('/api/admin/flags', { body: { key: 'create-basic', description: 'The new checkout' } }),
      );
      const view = flagViewSchema.parse(expectStatus(response, 201));
      expect(view).toMatchObject({
        key: 'create-basic',
        description: 'The new checkout',
        environment: 'production',
        enabled: false,
        rolloutPercentage: 0,
        version: 1,
      });
      for (const environment of ['production', 'development']) {
        const state = expectStatus(await get('create-basic', environment), 200);
        expect(state).toMatchObject({ environment, enabled: false, rolloutPercentage: 0, version: 1 });
      }
    });

    it('shows the requested environment and defaults the description to ""', async () => {
      const response = await answer(
        api.POST('/api/admin/flags', {
          params: { query: { environment: 'development' } },
          body: { key: 'create-in-development' },
        }),
      );
      expect(expectStatus(response, 201)).toMatchObject({ environment: 'development', description: '' });
    });

    it('accepts every key the rule allows, up to 100 characters', async () => {
      for (const key of ['a', '0.9_x-y', `k${'x'.repeat(99)}`]) await create(key);
      expect(expectStatus(await get(`k${'x'.repeat(99)}`), 200).key).toHaveLength(100);
    });

    it('answers 409 ALREADY_EXISTS for a taken key and records nothing', async () => {
      await create('create-twice');
      const before = await auditEvents(t, { flagKey: 'create-twice' });
      const again = await answer(api.POST('/api/admin/flags', { body: { key: 'create-twice', description: 'x' } }));
      expectError(again, 409, 'ALREADY_EXISTS');
      expect(await auditEvents(t, { flagKey: 'create-twice' })).toEqual(before);
      expect(expectStatus(await get('create-twice'), 200).description).toBe('');
    });

    it.each([
      ['a space and capitals', 'Bad Key'],
      ['empty', ''],
      ['101 characters', 'k'.repeat(101)],
      ['a leading dash', '-flag'],
      ['a slash', 'a/b'],
      ['non-ASCII', 'flág'],
    ])('answers 400 naming the key when it has %s', async (_name, key) => {
      const response = await t.request('POST', '/api/admin/flags', { body: { key } });
      expectFieldError(response, 'key', 'body');
    });

    it.each([
      ['a number', 123],
      ['null', null],
      ['an object', { key: 'x' }],
    ])('answers 400 when the key is %s', async (_name, key) => {
      expectFieldError(await t.request('POST', '/api/admin/flags', { body: { key } }), 'key');
    });

    it('rejects an unknown body field, naming it, and creates nothing', async () => {
      const response = await t.request('POST', '/api/admin/flags', {
        body: { key: 'create-unknown-field', colour: 'red' },
      });
      expect(expectFieldError(response, 'colour', 'body')).toBe('unknown field');
      expectError(await get('create-unknown-field'), 404, 'NOT_FOUND');
    });

    it('answers 400 when the key is missing', async () => {
      expectFieldError(await t.request('POST', '/api/admin/flags', { body: { description: 'no key' } }), 'key');
    });

    it('answers 400 when the description is too long or not a string', async () => {
      const long = await t.request('POST', '/api/admin/flags', {
        body: { key: 'desc-long', description: 'd'.repeat(1001) },
      });
      expectFieldError(long, 'description');
      const number = await t.request('POST', '/api/admin/flags', { body: { key: 'desc-number', description: 5 } });
      expectFieldError(number, 'description');
    });

    it('answers 400 when the body is not an object', async () => {
      for (const body of [[], 'create', 42, null, true]) {
        const response = await t.request('POST', '/api/admin/flags', { rawBody: JSON.stringify(body) });
        expectError(response, 400, 'VALIDATION_FAILED');
      }
    });

    it('answers 404 for an unknown environment and creates nothing', async () => {
      const response = await answer(
        api.POST('/api/admin/flags', {
          params: { query: { environment: 'staging' } },
          body: { key: 'create-nowhere' },
        }),
      );
      expectError(response, 404, 'NOT_FOUND');
      expectError(await get('create-nowhere'), 404, 'NOT_FOUND');
    });
  });

  describe('list', () => {
    // keys sort as l.01 < l.02 < …; the descriptions let q match on description too
    const keys = ['lst.01', 'lst.02', 'lst.03', 'lst.04', 'lst.05', 'lst.06', 'lst.07'];
    beforeAll(async () => {
      for (const key of keys) await create(key, key === 'lst.04' ? 'Pricing Page experiment' : '');
      await create('other-pricing');
      await api.PATCH('/api/admin/flags/{flagKey}', {
        params: { path: { flagKey: 'lst.02' }, query: { environment: 'development' } },
        body: { enabled: true },
      });
    });

    const list = async (query: string) => {
      const page = expectStatus(await t.request<FlagPage>('GET', `/api/admin/flags?${query}`), 200);
      return flagPageSchema.parse(page);
    };

    it('lists flags in key order in production by default', async () => {
      const page = await list('q=lst.');
      expect(page.items.map((item) => item.key)).toEqual(keys);
      expect(page.items.every((item) => item.environment === 'production' && !item.enabled)).toBe(true);
      expect(page.nextCursor).toBeNull();
    });

    it('shows the requested environment', async () => {
      const page = await list('q=lst.02&environment=development');
      expect(page.items).toMatchObject([{ key: 'lst.02', environment: 'development', enabled: true, version: 2 }]);
    });

    it('filters with q on key or description, case-insensitively', async () => {
      expect((await list('q=LST.0')).items).toHaveLength(7);
      expect((await list('q=pricing')).items.map((item) => item.key)).toEqual(['lst.04', 'other-pricing']);
      expect((await list('q=no-such-thing')).items).toEqual([]);
    });

    it('treats % and _ in q literally', async () => {
      expect((await list('q=%25')).items).toEqual([]);
      expect((await list('q=lst_0')).items).toEqual([]);
    });

    it('pages through every flag with limit and the keyset cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: FlagPage = await list(`q=lst.&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((item) => item.key));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual(keys);
      expect(pages).toBe(4);
    });

    it('pages through all flags without a filter, each once', async () => {
      const all = await list('limit=500');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: FlagPage = await list(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.items.map((item) => item.key));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(all.items.map((item) => item.key));
      expect(new Set(seen).size).toBe(seen.length);
    });

    it.each([
      ['not base64 JSON', 'garbage!'],
      ['JSON without k', cursorOf({ x: 1 })],
      ['k of the wrong type', cursorOf({ k: 5 })],
      ['a JSON string', cursorOf('lst.01')],
      ['too long', 'a'.repeat(501)],
    ])('answers 400 for a cursor that is %s', async (_name, cursor) => {
      expectFieldError(await t.request('GET', `/api/admin/flags?cursor=${cursor}`), 'cursor', 'query');
    });

    it.each(['0', '501', 'abc', '-1', '1.5', '', '1e2'])('answers 400 for limit=%j', async (limit) => {
      expectFieldError(await t.request('GET', `/api/admin/flags?limit=${limit}`), 'limit', 'query');
    });

    it('accepts limit 1 and 500', async () => {
      expect((await list('q=lst.&limit=1')).items).toHaveLength(1);
      expect((await list('q=lst.&limit=500')).items).toHaveLength(7);
    });

    it('answers 400 for a q longer than 100 characters and for a malformed environment', async () => {
      expectFieldError(await t.request('GET', `/api/admin/flags?q=${'q'.repeat(101)}`), 'q');
      expectFieldError(await t.request('GET', '/api/admin/flags?environment=Prod'), 'environment');
    });

    it('answers 404 for an unknown environment', async () => {
      expectError(
        await answer(api.GET('/api/admin/flags', { params: { query: { environment: 'staging' } } })),
        404,
        'NOT_FOUND',
      );
    });
  });

  describe('get', () => {
    it('answers 200 with the flag in the environment', async () => {
      await create('get-me', 'described');
      const view = flagViewSchema.parse(expectStatus(await get('get-me'), 200));
      expect(view).toMatchObject({ key: 'get-me', description: 'described', environment: 'production' });
      expect(Date.parse(view.createdAt)).not.toBeNaN();
    });

    it('answers 404 for an unknown flag, also when the key could never exist', async () => {
      expectError(await get('never-created'), 404, 'NOT_FOUND');
      for (const flagKey of ['Bad Key', 'k'.repeat(101)]) {
        expectError(
          await answer(api.GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey } } })),
          404,
          'NOT_FOUND',
        );
      }
    });

    it('answers 404 for an unknown environment and 400 for a malformed one', async () => {
      await create('get-env');
      expectError(await get('get-env', 'staging'), 404, 'NOT_FOUND');
      expectFieldError(await get('get-env', 'NOPE!'), 'environment', 'query');
    });
  });

  describe('update', () => {
    it('changes the flag with PATCH and with POST, bumping the version each time', async () => {
      await create('upd-basic');
      const patched = await answer(
        api.PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'upd-basic' } },
          body: { enabled: true },
        }),
      );
      expect(expectStatus(patched, 200)).toMatchObject({ enabled: true, rolloutPercentage: 0, version: 2 });
      const posted = await answer(
        api.POST('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'upd-basic' } },
          body: { rolloutPercentage: 25 },
        }),
      );
      expect(flagViewSchema.parse(expectStatus(posted, 200))).toMatchObject({
        key: 'upd-basic',
        environment: 'production',
        enabled: true,
        rolloutPercentage: 25,
        version: 3,
      });
      expect(expectStatus(await get('upd-basic'), 200)).toMatchObject({ enabled: true, version: 3 });
      // the other environment is untouched
      expect(expectStatus(await get('upd-basic', 'development'), 200)).toMatchObject({ enabled: false, version: 1 });
    });

    it('changes only the requested environment', async () => {
      await create('upd-env');
      const response = await answer(
        api.PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'upd-env' }, query: { environment: 'development' } },
          body: { enabled: true, rolloutPercentage: 100 },
        }),
      );
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'development', enabled: true, version: 2 });
      expect(expectStatus(await get('upd-env'), 200)).toMatchObject({ enabled: false, rolloutPercentage: 0 });
    });

    it('changes the description for every environment', async () => {
      await create('upd-description', 'old');
      const response = await answer(
        api.PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'upd-description' } },
          body: { description: 'new' },
        }),
      );
      expect(expectStatus(response, 200).description).toBe('new');
      expect(expectStatus(await get('upd-description', 'development'), 200).description).toBe('new');
    });

    it('moves the version in every environment when the description changes, so If-Match in any of them sees it', async () => {
      await create('upd-description-versions', 'old');
      const path = '/api/admin/flags/upd-description-versions';
      // development's state moves on first, so the two environments are at different versions
      expectStatus(await t.request('PATCH', `${path}?environment=development`, { body: { enabled: true } }), 200);
      const production = expectStatus(await get('upd-description-versions'), 200);
      const development = expectStatus(await get('upd-description-versions', 'development'), 200);
      expect([production.version, development.version]).toEqual([1, 2]);

      const changed = await t.request<FlagView>('PATCH', path, {
        body: { description: 'new' },
        headers: { 'if-match': String(production.version) },
      });
      expect(expectStatus(changed, 200)).toMatchObject({ description: 'new', version: 2 });
      expect(changed.headers.get('etag')).toBe('"2"');
      const developmentAfter = expectStatus(await get('upd-description-versions', 'development'), 200);
      expect(developmentAfter).toMatchObject({ description: 'new', enabled: true, version: 3 });

      // A development client that read the flag before the description changed is told it moved on.
      const stale = await t.request('PATCH', `${path}?environment=development`, {
        body: { enabled: false },
        headers: { 'if-match': String(development.version) },
      });
      expect(expectError(stale, 412, 'PRECONDITION_FAILED').details).toEqual({ currentVersion: 3 });
      const current = await t.request<FlagView>('PATCH', `${path}?environment=development`, {
        body: { description: 'newer', enabled: false },
        headers: { 'if-match': '3' },
      });
      expect(expectStatus(current, 200)).toMatchObject({ description: 'newer', enabled: false, version: 4 });
      // one more version in production for the second description change; its state is untouched
      expect(expectStatus(await get('upd-description-versions'), 200)).toMatchObject({
        description: 'newer',
        enabled: false,
        version: 3,
      });

      // the audit event records the change in the environment the request named
      const [event] = await auditEvents(t, { flagKey: 'upd-description-versions', type: 'flag.updated' });
      expect(event).toMatchObject({
        environment: 'development',
        data: { changedFields: ['description', 'enabled'] },
        before: { version: 3 },
        after: { version: 4 },
      });
    });

    it.each([
      ['150', 150, 'upd-rollout-150'],
      ['-10', -10, 'upd-rollout-minus-10'],
      ['1.5', 1.5, 'upd-rollout-fraction'],
      ['"50"', '50', 'upd-rollout-string'],
      ['null', null, 'upd-rollout-null'],
    ])('answers 400 for rolloutPercentage %s and changes nothing', async (_name, rolloutPercentage, key) => {
      await create(key);
      for (const method of ['PATCH', 'POST']) {
        const response = await t.request(method, `/api/admin/flags/${key}`, { body: { rolloutPercentage } });
        expectFieldError(response, 'rolloutPercentage', 'body');
      }
      expect(expectStatus(await get(key), 200)).toMatchObject({ rolloutPercentage: 0, version: 1 });
    });

    it('answers 400 for an empty body, a wrong type and an unknown field', async () => {
      await create('upd-bad-body');
      expectError(
        await answer(
          api.PATCH('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'upd-bad-body' } }, body: {} }),
        ),
        400,
        'VALIDATION_FAILED',
      );
      expectFieldError(
        await t.request('PATCH', '/api/admin/flags/upd-bad-body', { body: { enabled: 'yes' } }),
        'enabled',
      );
      const unknown = await t.request('PATCH', '/api/admin/flags/upd-bad-body', { body: { enabled: true, key: 'x' } });
      expect(expectFieldError(unknown, 'key')).toBe('unknown field');
      expect(expectStatus(await get('upd-bad-body'), 200)).toMatchObject({ enabled: false, version: 1 });
    });

    it('honours If-Match: the current version changes, a stale one is 412, garbage is 400', async () => {
      await create('upd-if-match');
      const params = { path: { flagKey: 'upd-if-match' } };
      const path = '/api/admin/flags/{flagKey}';
      const matching = await answer(api.PATCH(path, { params, body: { enabled: true }, headers: { 'if-match': '1' } }));
      expect(expectStatus(matching, 200).version).toBe(2);
      // the version as an entity tag, strong or weak
      const quoted = await answer(
        api.POST(path, { params, body: { rolloutPercentage: 10 }, headers: { 'if-match': '"2"' } }),
      );
      expect(expectStatus(quoted, 200).version).toBe(3);
      const weak = await answer(
        api.PATCH(path, { params, body: { rolloutPercentage: 20 }, headers: { 'if-match': 'W/"3"' } }),
      );
      expect(expectStatus(weak, 200).version).toBe(4);

      const stale = await answer(api.PATCH(path, { params, body: { enabled: false }, headers: { 'if-match': '2' } }));
      const error = expectError(stale, 412, 'PRECONDITION_FAILED');
      expect(error.details).toEqual({ currentVersion: 4 });
      expectError(
        await answer(api.POST(path, { params, body: { enabled: false }, headers: { 'if-match': '5' } })),
        412,
        'PRECONDITION_FAILED',
      );
      for (const garbage of ['abc', '1.0', '-1', '"', '1, 2', '9999999999']) {
        const response = await answer(
          api.PATCH(path, { params, body: { enabled: false }, headers: { 'if-match': garbage } }),
        );
        expectFieldError(response, 'If-Match', 'header');
      }
      expect(expectStatus(await get('upd-if-match'), 200)).toMatchObject({
        enabled: true,
        rolloutPercentage: 20,
        version: 4,
      });
      // If-Match: * means "whatever version"
      const any = await answer(api.PATCH(path, { params, body: { enabled: false }, headers: { 'if-match': '*' } }));
      expect(expectStatus(any, 200).version).toBe(5);
    });

    it('writes no audit event and keeps the version when nothing changes', async () => {
      await create('upd-noop', 'same');
      const noop = { params: { path: { flagKey: 'upd-noop' } } };
      expectStatus(await answer(api.PATCH('/api/admin/flags/{flagKey}', { ...noop, body: { enabled: true } })), 200);
      const events = await auditEvents(t, { flagKey: 'upd-noop' });
      expect(events.map((event) => event.type)).toEqual(['flag.updated', 'flag.created']);
      for (const [method, body] of [
        ['PATCH', { enabled: true }],
        ['POST', { enabled: true, rolloutPercentage: 0, description: 'same' }],
        ['PATCH', { description: 'same' }],
      ] as const) {
        const send = method === 'PATCH' ? api.PATCH : api.POST;
        const response = await answer(
          send('/api/admin/flags/{flagKey}', { ...noop, body, headers: { 'if-match': '2' } }),
        );
        expect(expectStatus(response, 200)).toMatchObject({ enabled: true, version: 2 });
      }
      expect(await auditEvents(t, { flagKey: 'upd-noop' })).toEqual(events);
    });

    it('answers 404 for an unknown flag or environment', async () => {
      expectError(
        await answer(
          api.PATCH('/api/admin/flags/{flagKey}', {
            params: { path: { flagKey: 'upd-missing' } },
            body: { enabled: true },
          }),
        ),
        404,
        'NOT_FOUND',
      );
      expectError(
        await answer(
          api.POST('/api/admin/flags/{flagKey}', {
            params: { path: { flagKey: 'Not A Key' } },
            body: { enabled: true },
          }),
        ),
        404,
        'NOT_FOUND',
      );
      await create('upd-no-env');
      const response = await answer(
        api.PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'upd-no-env' }, query: { environment: 'staging' } },
          body: { enabled: true },
        }),
      );
      expectError(response, 404, 'NOT_FOUND');
    });
  });

  describe('delete', () => {
    const rowCounts = async (flagId: string) => {
      const db = t.deps.database.db;
      const [states] = await db.select({ n: count() }).from(flagStates).where(eq(flagStates.flagId, flagId));
      const [overrides] = await db.select({ n: count() }).from(flagOverrides).where(eq(flagOverrides.flagId, flagId));
      return { states: states?.n, overrides: overrides?.n };
    };

    it('answers 204, then 404, and removes its states and overrides', async () => {
      await create('del-me', 'doomed');
      const delMe = { path: { flagKey: 'del-me' } };
      await api.PATCH('/api/admin/flags/{flagKey}', { params: delMe, body: { enabled: true, rolloutPercentage: 30 } });
      for (const environment of ['production', 'development']) {
        const response = await answer(
          api.POST('/api/admin/flags/{flagKey}/users', {
            params: { ...delMe, query: { environment } },
            body: { userId: 'u1', overrideType: 'include' },
          }),
        );
        expectStatus(response, 201);
      }
      const [flag] = await t.deps.database.db.select({ id: flags.id }).from(flags).where(eq(flags.key, 'del-me'));
      if (!flag) throw new Error('flag row missing');
      expect(await rowCounts(flag.id)).toEqual({ states: 2, overrides: 2 });

      const deleted = await answer(api.DELETE('/api/admin/flags/{flagKey}', { params: delMe }));
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeNull();
      expectError(await get('del-me'), 404, 'NOT_FOUND');
      expectError(await answer(api.DELETE('/api/admin/flags/{flagKey}', { params: delMe })), 404, 'NOT_FOUND');
      expect(await rowCounts(flag.id)).toEqual({ states: 0, overrides: 0 });
      expectError(await answer(api.GET('/api/admin/flags/{flagKey}/users', { params: delMe })), 404, 'NOT_FOUND');

      const [event] = await auditEvents(t, { flagKey: 'del-me' });
      expect(event).toMatchObject({ type: 'flag.deleted', after: null, environment: null });
      expect(event?.before).toMatchObject({
        key: 'del-me',
        description: 'doomed',
        states: [
          { environment: 'development', enabled: false, rolloutPercentage: 0, version: 1 },
          { environment: 'production', enabled: true, rolloutPercentage: 30, version: 2 },
        ],
      });

      // the key is free again, and the new flag starts from scratch
      expect(await create('del-me')).toMatchObject({ enabled: false, rolloutPercentage: 0, version: 1 });
      const overrides = await answer(api.GET('/api/admin/flags/{flagKey}/users', { params: delMe }));
      expect(expectStatus(overrides, 200).pagination.total).toBe(0);
    });

    it('answers 404 for a flag that never existed or a key that could not', async () => {
      for (const flagKey of ['del-never', 'NOT VALID']) {
        expectError(
          await answer(api.DELETE('/api/admin/flags/{flagKey}', { params: { path: { flagKey } } })),
          404,
          'NOT_FOUND',
        );
      }
    });
  });
});
