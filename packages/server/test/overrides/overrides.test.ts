import { type Override, type OverrideList, overrideListSchema, overrideSchema } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditEvents,
  expectError,
  expectFieldError,
  expectStatus,
  tokenIdOf,
} from '../helpers/http';

const createFlag = async (t: TestApp, key: string) => {
  expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key } })), 201);
};

const setOverride = (t: TestApp, flagKey: string, body: Record<string, unknown>, environment = 'production') =>
  t.request<Override>('POST', `/api/admin/flags/${flagKey}/users?environment=${environment}`, { body });

const listOverrides = async (t: TestApp, flagKey: string, query = '') =>
  overrideListSchema.parse(
    expectStatus(await t.request<OverrideList>('GET', `/api/admin/flags/${flagKey}/users?${query}`), 200),
  );

const overrideEvents = async (t: TestApp, flagKey: string) =>
  (await auditEvents(t, { flagKey })).filter((event) => event.type.startsWith('flag_override.'));

describe.each(testBackends())('overrides (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('creates with 201, answers 200 for the same override again and records it once', async () => {
    await createFlag(t, 'ovr-upsert');
    const created = await setOverride(t, 'ovr-upsert', { userId: 'u1', overrideType: 'include', reason: 'beta' });
    const override = overrideSchema.parse(expectStatus(created, 201));
    expect(override).toMatchObject({
      userId: 'u1',
      overrideType: 'include',
      reason: 'beta',
      createdBy: await tokenIdOf(t, t.tokens.admin),
    });
    const events = await overrideEvents(t, 'ovr-upsert');
    expect(events).toHaveLength(1);

    const again = await setOverride(t, 'ovr-upsert', { userId: 'u1', overrideType: 'include', reason: 'beta' });
    expect(expectStatus(again, 200)).toEqual(override);
    expect(await overrideEvents(t, 'ovr-upsert')).toEqual(events);
  });

  it('changes the type with 200 and audits before and after', async () => {
    await createFlag(t, 'ovr-change');
    expectStatus(await setOverride(t, 'ovr-change', { userId: 'u1', overrideType: 'include', reason: 'beta' }), 201);
    const changed = await setOverride(t, 'ovr-change', { userId: 'u1', overrideType: 'exclude' });
    expect(expectStatus(changed, 200)).toMatchObject({ userId: 'u1', overrideType: 'exclude', reason: null });

    const [event, first] = await overrideEvents(t, 'ovr-change');
    expect(first?.type).toBe('flag_override.set');
    expect(event).toMatchObject({
      type: 'flag_override.set',
      environment: 'production',
      flagKey: 'ovr-change',
      data: { flagKey: 'ovr-change', userId: 'u1', overrideType: 'exclude', reason: null },
      before: { userId: 'u1', overrideType: 'include', reason: 'beta' },
      after: { userId: 'u1', overrideType: 'exclude', reason: null },
    });
    // a changed reason alone is a change too
    const reason = await setOverride(t, 'ovr-change', { userId: 'u1', overrideType: 'exclude', reason: 'abuse' });
    expect(expectStatus(reason, 200).reason).toBe('abuse');
    expect(await overrideEvents(t, 'ovr-change')).toHaveLength(3);
  });

  it('deletes with 204, then answers 404, and audits the removal', async () => {
    await createFlag(t, 'ovr-delete');
    expectStatus(await setOverride(t, 'ovr-delete', { userId: 'user@example.com', overrideType: 'exclude' }), 201);
    const remove = () =>
      answer(
        apiClient(t).DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { flagKey: 'ovr-delete', userId: 'user@example.com' } },
        }),
      );
    const deleted = await remove();
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expectError(await remove(), 404, 'NOT_FOUND');
    expect((await listOverrides(t, 'ovr-delete')).pagination.total).toBe(0);
    const [event] = await overrideEvents(t, 'ovr-delete');
    expect(event).toMatchObject({
      type: 'flag_override.removed',
      environment: 'production',
      flagKey: 'ovr-delete',
      data: { flagKey: 'ovr-delete', userId: 'user@example.com' },
      before: { userId: 'user@example.com', overrideType: 'exclude', reason: null },
      after: null,
    });
    expect(await overrideEvents(t, 'ovr-delete')).toHaveLength(2);
  });

  it('answers 404 when deleting a user that never had an override', async () => {
    await createFlag(t, 'ovr-delete-none');
    expectError(await t.request('DELETE', '/api/admin/flags/ovr-delete-none/users/nobody'), 404, 'NOT_FOUND');
  });

  describe('list', () => {
    const users = ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07'];
    beforeAll(async () => {
      await createFlag(t, 'ovr-page');
      for (const [index, userId] of users.entries()) {
        const overrideType = index % 3 === 0 ? 'exclude' : 'include';
        expectStatus(await setOverride(t, 'ovr-page', { userId, overrideType }), 201);
      }
    });

    it('splits one page into includes and excludes, with the default page size', async () => {
      const list = await listOverrides(t, 'ovr-page');
      expect(list.pagination).toEqual({ page: 1, pageSize: 50, total: 7 });
      expect(list.includes.map((item) => item.userId)).toEqual(['p02', 'p03', 'p05', 'p06']);
      expect(list.excludes.map((item) => item.userId)).toEqual(['p01', 'p04', 'p07']);
      expect(list.includes.every((item) => item.overrideType === 'include')).toBe(true);
    });

    it('pages through every override exactly once', async () => {
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const list = await listOverrides(t, 'ovr-page', `page=${page}&pageSize=3`);
        expect(list.pagination).toEqual({ page, pageSize: 3, total: 7 });
        const items = [...list.includes, ...list.excludes];
        expect(items).toHaveLength(page < 3 ? 3 : 1);
        seen.push(...items.map((item) => item.userId));
      }
      expect(seen.sort()).toEqual(users);
      const beyond = await listOverrides(t, 'ovr-page', 'page=4&pageSize=3');
      expect(beyond).toMatchObject({ includes: [], excludes: [], pagination: { page: 4, pageSize: 3, total: 7 } });
    });

    it('accepts pageSize 1 and 500', async () => {
      const one = await listOverrides(t, 'ovr-page', 'pageSize=1');
      expect(one.includes.length + one.excludes.length).toBe(1);
      expect((await listOverrides(t, 'ovr-page', 'pageSize=500')).pagination.pageSize).toBe(500);
    });

    it.each([
      ['pageSize', '0'],
      ['pageSize', '501'],
      ['pageSize', 'x'],
      ['pageSize', '2.5'],
      ['page', '0'],
      ['page', '-1'],
      ['page', 'abc'],
      ['page', '1000001'],
    ])('answers 400 for %s=%s', async (name, value) => {
      const response = await t.request('GET', `/api/admin/flags/ovr-page/users?${name}=${value}`);
      expectFieldError(response, name, 'query');
    });
  });

  it('answers 404 for an unknown flag on every override route, and writes nothing', async () => {
    expectError(await setOverride(t, 'ovr-missing', { userId: 'u1', overrideType: 'include' }), 404, 'NOT_FOUND');
    const api = apiClient(t);
    const missing = { path: { flagKey: 'ovr-missing' } };
    expectError(
      await answer(
        api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { ...missing.path, userId: 'u1' } },
        }),
      ),
      404,
      'NOT_FOUND',
    );
    expectError(await answer(api.GET('/api/admin/flags/{flagKey}/users', { params: missing })), 404, 'NOT_FOUND');
    expectError(
      await answer(api.GET('/api/admin/flags/{flagKey}/users', { params: { path: { flagKey: 'Not A Key' } } })),
      404,
      'NOT_FOUND',
    );
    expect(await overrideEvents(t, 'ovr-missing')).toEqual([]);
  });

  it('answers 404 for an unknown environment and 400 for a malformed one', async () => {
    await createFlag(t, 'ovr-env-missing');
    const body = { userId: 'u1', overrideType: 'include' };
    expectError(await setOverride(t, 'ovr-env-missing', body, 'staging'), 404, 'NOT_FOUND');
    const api = apiClient(t);
    const staging = { query: { environment: 'staging' } };
    expectError(
      await answer(
        api.GET('/api/admin/flags/{flagKey}/users', { params: { path: { flagKey: 'ovr-env-missing' }, ...staging } }),
      ),
      404,
      'NOT_FOUND',
    );
    expectError(
      await answer(
        api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { flagKey: 'ovr-env-missing', userId: 'u1' }, ...staging },
        }),
      ),
      404,
      'NOT_FOUND',
    );
    expectFieldError(await setOverride(t, 'ovr-env-missing', body, 'Staging'), 'environment', 'query');
  });

  it.each([
    ['an unknown overrideType', { userId: 'u1', overrideType: 'maybe' }, 'overrideType'],
    ['no overrideType', { userId: 'u1' }, 'overrideType'],
    ['no userId', { overrideType: 'include' }, 'userId'],
    ['an empty userId', { userId: '', overrideType: 'include' }, 'userId'],
    ['a 256-character userId', { userId: 'u'.repeat(256), overrideType: 'include' }, 'userId'],
    ['a numeric userId', { userId: 42, overrideType: 'include' }, 'userId'],
    ['a 501-character reason', { userId: 'u1', overrideType: 'include', reason: 'r'.repeat(501) }, 'reason'],
    ['an unknown field', { userId: 'u1', overrideType: 'include', createdBy: 'mallory' }, 'createdBy'],
  ])('answers 400 for %s', async (_name, body, field) => {
    // validation comes before any lookup, so the flag need not exist
    const response = await setOverride(t, 'ovr-validation', body);
    expectFieldError(response, field, 'body');
  });

  it('accepts a 255-character userId', async () => {
    await createFlag(t, 'ovr-long-user');
    const userId = 'u'.repeat(255);
    expectStatus(await setOverride(t, 'ovr-long-user', { userId, overrideType: 'include' }), 201);
    expect((await listOverrides(t, 'ovr-long-user')).includes.map((item) => item.userId)).toEqual([userId]);
  });

  it('keeps environments apart', async () => {
    await createFlag(t, 'ovr-env');
    for (const environment of ['production', 'development']) {
      const response = await answer(
        apiClient(t).PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'ovr-env' }, query: { environment } },
          body: { enabled: true },
        }),
      );
      expectStatus(response, 200);
    }
    expectStatus(await setOverride(t, 'ovr-env', { userId: 'dev-user', overrideType: 'include' }, 'development'), 201);

    expect((await listOverrides(t, 'ovr-env')).pagination.total).toBe(0);
    const development = await listOverrides(t, 'ovr-env', 'environment=development');
    expect(development.includes.map((item) => item.userId)).toEqual(['dev-user']);
    // deleting in production does not find the development override
    const removeInProduction = apiClient(t).DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
      params: { path: { flagKey: 'ovr-env', userId: 'dev-user' } },
    });
    expectError(await answer(removeInProduction), 404, 'NOT_FOUND');

    const devUser = { params: { query: { userId: 'dev-user' } } };
    const inDevelopment = await answer(apiClient(t, t.tokens.developmentClient).GET('/api/config/flags', devUser));
    expect(expectStatus(inDevelopment, 200)['ovr-env']).toBe(true);
    const inProduction = await answer(apiClient(t, t.tokens.client).GET('/api/config/flags', devUser));
    expect(expectStatus(inProduction, 200)['ovr-env']).toBe(false);

    const [event] = await overrideEvents(t, 'ovr-env');
    expect(event).toMatchObject({ type: 'flag_override.set', environment: 'development' });
  });

  describe('rate limit of 3 changes per flag per hour', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp(backend, { OVERRIDE_RATE_LIMIT_PER_HOUR: '3' });
      await createFlag(limited, 'rl-flag');
      await createFlag(limited, 'rl-other');
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await limited?.close();
    });

    it('answers the 4th change with 429 RATE_LIMITED and writes nothing', async () => {
      expectStatus(await setOverride(limited, 'rl-flag', { userId: 'u1', overrideType: 'include' }), 201);
      expectStatus(await setOverride(limited, 'rl-flag', { userId: 'u2', overrideType: 'include' }), 201);
      expectStatus(await setOverride(limited, 'rl-flag', { userId: 'u1', overrideType: 'exclude' }), 200);
      const before = await listOverrides(limited, 'rl-flag');

      const fourth = await setOverride(limited, 'rl-flag', { userId: 'u3', overrideType: 'include' });
      expect(expectError(fourth, 429, 'RATE_LIMITED').details).toEqual({ limitPerHour: 3 });
      expectError(await limited.request('DELETE', '/api/admin/flags/rl-flag/users/u2'), 429, 'RATE_LIMITED');
      expectError(
        await setOverride(limited, 'rl-flag', { userId: 'u2', overrideType: 'exclude' }),
        429,
        'RATE_LIMITED',
      );

      expect(await listOverrides(limited, 'rl-flag')).toEqual(before);
      expect(await overrideEvents(limited, 'rl-flag')).toHaveLength(3);
      const evaluated = await limited.request<Record<string, boolean>>('GET', '/api/config/flags?userId=u3', {
        token: limited.tokens.client,
      });
      expect(expectStatus(evaluated, 200)).toHaveProperty('rl-flag', false);
    });

    it('still answers a request that changes nothing', async () => {
      const same = await setOverride(limited, 'rl-flag', { userId: 'u2', overrideType: 'include' });
      expect(expectStatus(same, 200).overrideType).toBe('include');
    });

    it('counts per flag', async () => {
      expectStatus(await setOverride(limited, 'rl-other', { userId: 'u1', overrideType: 'include' }), 201);
    });
  });

  describe('rate limit 0', () => {
    let unlimited: TestApp;
    beforeAll(async () => {
      unlimited = await createTestApp(backend, { OVERRIDE_RATE_LIMIT_PER_HOUR: '0' });
      await createFlag(unlimited, 'rl-off');
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await unlimited?.close();
    });

    it('disables the limit', async () => {
      for (let round = 0; round < 4; round++) {
        expectStatus(await setOverride(unlimited, 'rl-off', { userId: `u${round}`, overrideType: 'include' }), 201);
        expectStatus(await setOverride(unlimited, 'rl-off', { userId: `u${round}`, overrideType: 'exclude' }), 200);
      }
      expect((await unlimited.request('DELETE', '/api/admin/flags/rl-off/users/u1')).status).toBe(204);
      expect(await overrideEvents(unlimited, 'rl-off')).toHaveLength(9);
    });
  });
});
