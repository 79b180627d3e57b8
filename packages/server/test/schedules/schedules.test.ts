import type { Schedule } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

type ScheduleBody = components['schemas']['CreateScheduleBody'];

describe.each(testBackends())('scheduled changes over HTTP (%s)', (backend) => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  // The worker stays off here: these tests are about the API; scheduler.test.ts covers applying.
  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false' });
    api = apiClient(t);
    for (const key of ['sched-a', 'sched-b', 'sched-list', 'sched-empty', 'sched-delete']) {
      expect((await answer(api.POST('/api/admin/flags', { body: { key } }))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const schedule = (flagKey: string, body: ScheduleBody, query: { environment?: string } = {}) =>
    answer(api.POST('/api/admin/flags/{flagKey}/schedule', { params: { path: { flagKey }, query }, body }));
  const listFor = (flagKey: string, query: { status?: Schedule['status'] } = {}) =>
    answer(api.GET('/api/admin/flags/{flagKey}/schedule', { params: { path: { flagKey }, query } }));
  const scheduleById = (flagKey: string, scheduleId: string) => ({ params: { path: { flagKey, scheduleId } } });

  it('creates schedules that enable, roll out, or both (201, every field present)', async () => {
    for (const updates of [{ enabled: true }, { rolloutPercentage: 40 }, { enabled: true, rolloutPercentage: 60 }]) {
      const response = await schedule('sched-a', { scheduledAt: inSeconds(3600), updates });
      expect(response.status).toBe(201);
      expect(response.body.updates).toEqual(updates);
      expect(response.body).toMatchObject({
        flagKey: 'sched-a',
        environment: 'production',
        status: 'pending',
        appliedAt: null,
        errorMessage: null,
        retryCount: 0,
        maxRetries: 3,
        nextRetryAt: null,
        lastError: null,
        cancelledBy: null,
        cancelledAt: null,
      });
      // Schedules of one flag touching a field within the conflict window list each other (and only then carry the
      // member): the third sets both fields the first two set, an hour ahead like them.
      const { conflicts, ...origin } = response.body as typeof response.body & { conflicts?: unknown[] };
      expect(conflicts?.length).toBe(updates.enabled && updates.rolloutPercentage ? 2 : undefined);
      expect(Object.keys(origin).sort()).toEqual(
        [
          'id',
          'flagKey',
          'environment',
          'scheduledAt',
          'status',
          'updates',
          'appliedAt',
          'errorMessage',
          'retryCount',
          'maxRetries',
          'nextRetryAt',
          'lastError',
          'createdBy',
          'cancelledBy',
          'cancelledAt',
          'createdAt',
          'updatedAt',
        ].sort(),
      );
    }
  });

  it('accepts an offset timestamp and returns it in UTC (origin bug 6)', async () => {
    const local = new Date(Date.now() + 7200_000);
    const withOffset = `${new Date(local.getTime() + 2 * 3600_000).toISOString().slice(0, 19)}+02:00`;
    const response = await schedule('sched-a', { scheduledAt: withOffset, updates: { enabled: false } });
    expect(response.status).toBe(201);
    expect(response.body.scheduledAt).toBe(`${local.toISOString().slice(0, 19)}.000Z`);
  });

  it('works in any environment, not only production (origin bug 6)', async () => {
    const response = await schedule(
      'sched-a',
      { scheduledAt: inSeconds(60), updates: { enabled: true } },
      { environment: 'development' },
    );
    expect(response.status).toBe(201);
    expect(response.body.environment).toBe('development');
  });

  it('records who created it, from the principal, in the audit trail', async () => {
    const created = await schedule('sched-b', {
      scheduledAt: inSeconds(600),
      updates: { rolloutPercentage: 5 },
      maxRetries: 5,
    });
    expect(created.body.maxRetries).toBe(5);
    const audit = await answer(
      api.GET('/api/admin/audit', { params: { query: { type: 'flag_schedule.created', flagKey: 'sched-b' } } }),
    );
    const event = audit.body.items.find((item) => item.scheduleId === created.body.id);
    expect(event?.actor.type).toBe('token');
    expect(event?.data).toMatchObject({
      scheduleId: created.body.id,
      flagKey: 'sched-b',
      scheduledAt: created.body.scheduledAt,
      updates: { rolloutPercentage: 5 },
      adminUserId: event?.actor.id,
      adminEmail: null,
    });
    expect(created.body.createdBy).toBe(event?.actor.id);
  });

  it.each([
    ['a past date', { scheduledAt: '2020-01-01T00:00:00Z', updates: { enabled: true } }, 'scheduledAt'],
    ['empty updates', { scheduledAt: inSeconds(60), updates: {} }, 'updates'],
    ['rollout 150', { scheduledAt: inSeconds(60), updates: { rolloutPercentage: 150 } }, 'updates.rolloutPercentage'],
    ['rollout -10', { scheduledAt: inSeconds(60), updates: { rolloutPercentage: -10 } }, 'updates.rolloutPercentage'],
    ['a non-date', { scheduledAt: 'not-a-date', updates: { enabled: true } }, 'scheduledAt'],
    ['no scheduledAt', { updates: { enabled: true } }, 'scheduledAt'],
    [
      'an unknown update key',
      { scheduledAt: inSeconds(60), updates: { enabled: true, colour: 'red' } },
      'updates.colour',
    ],
    ['a date beyond the horizon', { scheduledAt: inSeconds(366 * 86_400), updates: { enabled: true } }, 'scheduledAt'],
    ['a date without offset', { scheduledAt: '2030-01-01T00:00:00', updates: { enabled: true } }, 'scheduledAt'],
    ['maxRetries 11', { scheduledAt: inSeconds(60), updates: { enabled: true }, maxRetries: 11 }, 'maxRetries'],
  ])('rejects %s with 400 VALIDATION_FAILED naming the field, and writes nothing', async (_name, body, field) => {
    const before = await listFor('sched-b');
    const response = await t.request<{ error: string; details: { fields: Record<string, string> } }>(
      'POST',
      '/api/admin/flags/sched-b/schedule',
      { body },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('VALIDATION_FAILED');
    expect(Object.keys(response.body.details.fields)).toContain(field);
    const after = await listFor('sched-b');
    expect(after.body).toHaveLength(before.body.length);
  });

  it('answers 404 for an unknown flag, an unknown schedule, another flag’s schedule and a non-UUID id', async () => {
    const mine = await schedule('sched-b', { scheduledAt: inSeconds(60), updates: { enabled: true } });
    expect((await schedule('no-such-flag', { scheduledAt: inSeconds(60), updates: { enabled: true } })).status).toBe(
      404,
    );
    expect((await listFor('no-such-flag')).status).toBe(404);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const path = '/api/admin/flags/{flagKey}/schedule/{scheduleId}';
    expect((await answer(api.GET(path, scheduleById('sched-b', unknown)))).status).toBe(404);
    expect((await answer(api.GET(path, scheduleById('sched-a', mine.body.id)))).status).toBe(404);
    expect((await answer(api.DELETE(path, scheduleById('sched-a', mine.body.id)))).status).toBe(404);
    // a non-UUID id is outside the contract: raw on purpose
    expect((await t.request('GET', '/api/admin/flags/sched-b/schedule/not-a-uuid')).status).toBe(404);
    expect((await t.request('DELETE', '/api/admin/flags/sched-b/schedule/not-a-uuid')).status).toBe(404);
  });

  it('lists nothing for a flag without schedules, and lists in scheduled order', async () => {
    const empty = await listFor('sched-empty');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);
    for (const seconds of [300, 100, 200]) {
      await schedule('sched-list', { scheduledAt: inSeconds(seconds), updates: { rolloutPercentage: seconds / 10 } });
    }
    const listed = await listFor('sched-list');
    expect(listed.body.map((item) => item.updates.rolloutPercentage)).toEqual([10, 20, 30]);
    const pending = await listFor('sched-list', { status: 'applied' });
    expect(pending.body).toEqual([]);
  });

  it('cancels a pending schedule once (200), then 409 INVALID_STATE, with the canceller on record', async () => {
    const created = await schedule('sched-b', { scheduledAt: inSeconds(900), updates: { enabled: true } });
    const cancelPath = '/api/admin/flags/{flagKey}/schedule/{scheduleId}';
    const cancelled = await answer(api.DELETE(cancelPath, scheduleById('sched-b', created.body.id)));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.cancelledBy).toBe(created.body.createdBy);
    expect(cancelled.body.cancelledAt).not.toBeNull();
    const again = await answer(api.DELETE(cancelPath, scheduleById('sched-b', created.body.id)));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'INVALID_STATE' });
    const audit = await answer(api.GET('/api/admin/audit', { params: { query: { scheduleId: created.body.id } } }));
    expect(audit.body.items.map((item) => item.type)).toEqual(['flag_schedule.cancelled', 'flag_schedule.created']);
    expect(audit.body.items[0]?.data).toMatchObject({
      reason: 'cancelled_by_admin',
      adminUserId: created.body.createdBy,
    });
  });

  it('refuses to cancel an applied schedule (409)', async () => {
    const created = await schedule('sched-b', { scheduledAt: inSeconds(900), updates: { enabled: true } });
    await t.deps.database.db.execute(
      // Stand-in for the worker having applied it; scheduler.test.ts applies for real.
      (await import('drizzle-orm'))
        .sql`update flag_schedules set status = 'applied', applied_at = now() where id = ${created.body.id}`,
    );
    const response = await answer(
      api.DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', scheduleById('sched-b', created.body.id)),
    );
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: 'INVALID_STATE' });
  });

  it('deleting a flag cancels its pending schedules in the same change (reason flag_deleted)', async () => {
    const first = await schedule('sched-delete', { scheduledAt: inSeconds(900), updates: { enabled: true } });
    const second = await schedule('sched-delete', { scheduledAt: inSeconds(901), updates: { enabled: false } });
    const deleteFlag = { params: { path: { flagKey: 'sched-delete' } } };
    expect((await answer(api.DELETE('/api/admin/flags/{flagKey}', deleteFlag))).status).toBe(204);
    const listed = await answer(
      api.GET('/api/admin/schedules', { params: { query: { status: 'cancelled', limit: 500 } } }),
    );
    const ids = listed.body.items.map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining([first.body.id, second.body.id]));
    const audit = await answer(
      api.GET('/api/admin/audit', {
        params: { query: { flagKey: 'sched-delete', type: 'flag_schedule.cancelled' } },
      }),
    );
    expect(audit.body.items).toHaveLength(2);
    expect(
      audit.body.items.every((item) => item.type === 'flag_schedule.cancelled' && item.data.reason === 'flag_deleted'),
    ).toBe(true);
    const deleted = await answer(
      api.GET('/api/admin/audit', { params: { query: { flagKey: 'sched-delete', type: 'flag.deleted' } } }),
    );
    const deletedEvent = deleted.body.items[0];
    expect(deletedEvent?.type === 'flag.deleted' ? deletedEvent.data.cancelledScheduleIds : undefined).toEqual(
      expect.arrayContaining([first.body.id, second.body.id]),
    );
  });

  it('lists schedules across flags with filters and a keyset cursor', async () => {
    const all: Schedule[] = [];
    let cursor: string | null = null;
    do {
      const query: { limit: number; cursor?: string } = cursor ? { limit: 3, cursor } : { limit: 3 };
      const page = await answer(api.GET('/api/admin/schedules', { params: { query } }));
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const times = all.map((item) => item.scheduledAt);
    expect(times).toEqual([...times].sort());
    expect(new Set(all.map((item) => item.id)).size).toBe(all.length);
    const development = await answer(
      api.GET('/api/admin/schedules', { params: { query: { environment: 'development' } } }),
    );
    expect(development.body.items.every((item) => item.environment === 'development')).toBe(true);
    expect(development.body.items.length).toBeGreaterThan(0);
    const window = await answer(
      api.GET('/api/admin/schedules', { params: { query: { from: inSeconds(150), to: inSeconds(250) } } }),
    );
    expect(window.body.items.map((item) => item.updates.rolloutPercentage)).toEqual([20]);
    expect((await t.request('GET', '/api/admin/schedules?cursor=garbage')).status).toBe(400);
    expect((await t.request('GET', '/api/admin/schedules?status=done')).status).toBe(400);
  });

  it('requires a token (401) and refuses viewers and client tokens (403)', async () => {
    const body = { scheduledAt: inSeconds(60), updates: { enabled: true } };
    const post = (token: string | null) =>
      answer(
        apiClient(t, token).POST('/api/admin/flags/{flagKey}/schedule', {
          params: { path: { flagKey: 'sched-b' } },
          body,
        }),
      );
    expect((await post(null)).status).toBe(401);
    expect((await post(t.tokens.viewer)).status).toBe(403);
    expect((await post(t.tokens.client)).status).toBe(403);
    const viewer = apiClient(t, t.tokens.viewer);
    const viewed = await answer(
      viewer.GET('/api/admin/flags/{flagKey}/schedule', { params: { path: { flagKey: 'sched-b' } } }),
    );
    expect(viewed.status).toBe(200);
  });
});
