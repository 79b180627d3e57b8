import { type AuditEvent, type AuditPage, auditPageSchema, type Schedule } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectError, expectFieldError, expectStatus } from '../helpers/http';

const history = (t: TestApp, flagKey: string, query = '', token?: string | null) =>
  t.request<AuditPage>('GET', `/api/admin/flags/${flagKey}/history?${query}`, token === undefined ? {} : { token });

/** Every page of a flag's history, following nextCursor. */
async function wholeHistory(t: TestApp, flagKey: string, query: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const search = new URLSearchParams(query);
    if (cursor) search.set('cursor', cursor);
    const page = auditPageSchema.parse(expectStatus(await history(t, flagKey, search.toString()), 200));
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

const inTwoDays = () => new Date(Date.now() + 2 * 86_400_000).toISOString();

describe.each(testBackends())('flag history (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'hist' } }), 201);
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'hist-other' } }), 201);
    expectStatus(await t.request('PATCH', '/api/admin/flags/hist', { body: { enabled: true } }), 200);
    expectStatus(await t.request('PATCH', '/api/admin/flags/hist-other', { body: { enabled: true } }), 200);
    expectStatus(
      await t.request('PATCH', '/api/admin/flags/hist?environment=development', { body: { rolloutPercentage: 30 } }),
      200,
    );
    expectStatus(
      await t.request('POST', '/api/admin/flags/hist/users', { body: { userId: 'u1', overrideType: 'include' } }),
      201,
    );
    const schedule = expectStatus(
      await t.request<Schedule>('POST', '/api/admin/flags/hist/schedule', {
        body: { scheduledAt: inTwoDays(), updates: { rolloutPercentage: 50 } },
      }),
      201,
    );
    expectStatus(await t.request('DELETE', `/api/admin/flags/hist/schedule/${schedule.id}`), 200);
    expectStatus(await t.request('PATCH', '/api/admin/flags/hist', { body: { rolloutPercentage: 10 } }), 200);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it("answers the flag's events in the environment, schedule events included, newest first", async () => {
    const page = auditPageSchema.parse(expectStatus(await history(t, 'hist', 'environment=production'), 200));
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
    const trail = expectStatus(await t.request<AuditPage>('GET', '/api/admin/audit?flagKey=hist&limit=500'), 200);
    expect(page.items).toEqual(trail.items.filter((event) => event.environment !== 'development'));
  });

  it('defaults to production and keeps other environments apart', async () => {
    const production = expectStatus(await history(t, 'hist'), 200);
    expect(production).toEqual(expectStatus(await history(t, 'hist', 'environment=production'), 200));
    const development = expectStatus(await history(t, 'hist', 'environment=development'), 200);
    expect(development.items.map((event) => [event.type, event.environment])).toEqual([
      ['flag.updated', 'development'],
      ['flag.created', null],
    ]);
  });

  it('pages with the audit cursor: the pages join up to the whole history', async () => {
    const whole = expectStatus(await history(t, 'hist', 'limit=500'), 200).items;
    const first = expectStatus(await history(t, 'hist', 'limit=4'), 200);
    expect(first.items).toEqual(whole.slice(0, 4));
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(await wholeHistory(t, 'hist', 'limit=2')).toEqual(whole);
    expectFieldError(await history(t, 'hist', 'cursor=not-a-cursor'), 'cursor', 'query');
    expectFieldError(await history(t, 'hist', 'limit=0'), 'limit', 'query');
    expectFieldError(await history(t, 'hist', 'limit=501'), 'limit', 'query');
  });

  it('starts again when the flag is deleted and created anew', async () => {
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'hist-reborn' } }), 201);
    expectStatus(await t.request('PATCH', '/api/admin/flags/hist-reborn', { body: { enabled: true } }), 200);
    expectStatus(await t.request('DELETE', '/api/admin/flags/hist-reborn'), 204);
    expectError(await history(t, 'hist-reborn'), 404, 'NOT_FOUND');
    const created = expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'hist-reborn' } }), 201);
    expect(created).toMatchObject({ enabled: false });
    const events = expectStatus(await history(t, 'hist-reborn'), 200).items;
    expect(events.map((event) => event.type)).toEqual(['flag.created']);
  });

  it('is a read for viewers, refused to client tokens, and 404 for an unknown flag or environment', async () => {
    expectStatus(await history(t, 'hist', '', t.tokens.viewer), 200);
    expectError(await history(t, 'hist', '', t.tokens.client), 403, 'FORBIDDEN');
    expectError(await history(t, 'hist', '', null), 401, 'UNAUTHORIZED');
    expectError(await history(t, 'no-such-flag'), 404, 'NOT_FOUND');
    expectError(await history(t, 'Not%20A%20Key'), 404, 'NOT_FOUND');
    expectError(await history(t, 'hist', 'environment=nowhere'), 404, 'NOT_FOUND');
    expectFieldError(await history(t, 'hist', 'environment=Bad%20Env'), 'environment', 'query');
  });

  it('is in the OpenAPI document with its operationId', async () => {
    const document = expectStatus(
      await t.request<{ paths: Record<string, { get?: { operationId?: string } }> }>('GET', '/openapi.json'),
      200,
    );
    expect(document.paths['/api/admin/flags/{flagKey}/history']?.get?.operationId).toBe('getFlagHistory');
  });
});
