import { type AuditEvent, auditPageSchema } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectError, expectFieldError, expectStatus } from '../helpers/http';

type HistoryQuery = { environment?: string; limit?: number; cursor?: string };

const history = (t: TestApp, flagKey: string, query: HistoryQuery = {}, token?: string | null) =>
  answer(apiClient(t, token).GET('/api/admin/flags/{flagKey}/history', { params: { path: { flagKey }, query } }));

/** Outside the contract on purpose (a malformed key, cursor, limit or environment): sent raw. */
const invalidHistory = (t: TestApp, flagKey: string, query = '') =>
  t.request('GET', `/api/admin/flags/${flagKey}/history?${query}`);

/** Every page of a flag's history, following nextCursor. */
async function wholeHistory(t: TestApp, flagKey: string, query: HistoryQuery): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const search: HistoryQuery = cursor ? { ...query, cursor } : query;
    const page = auditPageSchema.parse(expectStatus(await history(t, flagKey, search), 200));
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

const inTwoDays = () => new Date(Date.now() + 2 * 86_400_000).toISOString();

describe.each(testBackends())('flag history (%s)', (backend) => {
  let t: TestApp;
  const api = () => apiClient(t);
  const flag = (flagKey: string) => ({ params: { path: { flagKey } } });
  const createFlag = async (key: string) =>
    expectStatus(await answer(api().POST('/api/admin/flags', { body: { key } })), 201);
  beforeAll(async () => {
    t = await createTestApp(backend);
    await createFlag('hist');
    await createFlag('hist-other');
    expectStatus(
      await answer(api().PATCH('/api/admin/flags/{flagKey}', { ...flag('hist'), body: { enabled: true } })),
      200,
    );
    expectStatus(
      await answer(api().PATCH('/api/admin/flags/{flagKey}', { ...flag('hist-other'), body: { enabled: true } })),
      200,
    );
    expectStatus(
      await answer(
        api().PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'hist' }, query: { environment: 'development' } },
          body: { rolloutPercentage: 30 },
        }),
      ),
      200,
    );
    expectStatus(
      await answer(
        api().POST('/api/admin/flags/{flagKey}/users', {
          ...flag('hist'),
          body: { userId: 'u1', overrideType: 'include' },
        }),
      ),
      201,
    );
    const schedule = expectStatus(
      await answer(
        api().POST('/api/admin/flags/{flagKey}/schedule', {
          ...flag('hist'),
          body: { scheduledAt: inTwoDays(), updates: { rolloutPercentage: 50 } },
        }),
      ),
      201,
    );
    expectStatus(
      await answer(
        api().DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey: 'hist', scheduleId: schedule.id } },
        }),
      ),
      200,
    );
    expectStatus(
      await answer(api().PATCH('/api/admin/flags/{flagKey}', { ...flag('hist'), body: { rolloutPercentage: 10 } })),
      200,
    );
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it("answers the flag's events in the environment, schedule events included, newest first", async () => {
    const page = auditPageSchema.parse(expectStatus(await history(t, 'hist', { environment: 'production' }), 200));
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((event) => event.type)).toEqual([
      'flag.updated',
      'flag_schedule.cancelled',
      'flag_schedule.created',
      'flag_override.set',
      'flag.updated',
      'flag.created',
    ]);
    expect(page.items.every((event) => event.flagKey === 'hist')).toBe(true);
    expect(page.items.every((event) => event.environment === 'production' || event.environment === null)).toBe(true);
    const ids = page.items.map((event) => BigInt(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    // The same events the audit trail holds, field for field.
    const trail = expectStatus(
      await answer(api().GET('/api/admin/audit', { params: { query: { flagKey: 'hist', limit: 500 } } })),
      200,
    );
    expect(page.items).toEqual(trail.items.filter((event) => event.environment !== 'development'));
  });

  it('defaults to production and keeps other environments apart', async () => {
    const production = expectStatus(await history(t, 'hist'), 200);
    expect(production).toEqual(expectStatus(await history(t, 'hist', { environment: 'production' }), 200));
    const development = expectStatus(await history(t, 'hist', { environment: 'development' }), 200);
    expect(development.items.map((event) => [event.type, event.environment])).toEqual([
      ['flag.updated', 'development'],
      ['flag.created', null],
    ]);
  });

  it('pages with the audit cursor: the pages join up to the whole history', async () => {
    const whole = expectStatus(await history(t, 'hist', { limit: 500 }), 200).items;
    const first = expectStatus(await history(t, 'hist', { limit: 4 }), 200);
    expect(first.items).toEqual(whole.slice(0, 4));
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(await wholeHistory(t, 'hist', { limit: 2 })).toEqual(whole);
    expectFieldError(await invalidHistory(t, 'hist', 'cursor=not-a-cursor'), 'cursor', 'query');
    expectFieldError(await invalidHistory(t, 'hist', 'limit=0'), 'limit', 'query');
    expectFieldError(await invalidHistory(t, 'hist', 'limit=501'), 'limit', 'query');
  });

  it('starts again when the flag is deleted and created anew', async () => {
    await createFlag('hist-reborn');
    expectStatus(
      await answer(api().PATCH('/api/admin/flags/{flagKey}', { ...flag('hist-reborn'), body: { enabled: true } })),
      200,
    );
    expectStatus(await answer(api().DELETE('/api/admin/flags/{flagKey}', flag('hist-reborn'))), 204);
    expectError(await history(t, 'hist-reborn'), 404, 'NOT_FOUND');
    const created = await createFlag('hist-reborn');
    expect(created).toMatchObject({ enabled: false });
    const events = expectStatus(await history(t, 'hist-reborn'), 200).items;
    expect(events.map((event) => event.type)).toEqual(['flag.created']);
  });

  it('is a read for viewers, refused to client tokens, and 404 for an unknown flag or environment', async () => {
    expectStatus(await history(t, 'hist', {}, t.tokens.viewer), 200);
    expectError(await history(t, 'hist', {}, t.tokens.client), 403, 'FORBIDDEN');
    expectError(await history(t, 'hist', {}, null), 401, 'UNAUTHORIZED');
    expectError(await history(t, 'no-such-flag'), 404, 'NOT_FOUND');
    expectError(await invalidHistory(t, 'Not%20A%20Key'), 404, 'NOT_FOUND');
    expectError(await history(t, 'hist', { environment: 'nowhere' }), 404, 'NOT_FOUND');
    expectFieldError(await invalidHistory(t, 'hist', 'environment=Bad%20Env'), 'environment', 'query');
  });

  it('is in the OpenAPI document with its operationId', async () => {
    const document = expectStatus(
      await t.request<{ paths: Record<string, { get?: { operationId?: string } }> }>('GET', '/openapi.json'),
      200,
    );
    expect(document.paths['/api/admin/flags/{flagKey}/history']?.get?.operationId).toBe('getFlagHistory');
  });
});
