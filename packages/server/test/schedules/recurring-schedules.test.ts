import type { Schedule } from '@flagline/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { runDueNow } from '../helpers/scheduler';

type ErrorBody = { error: string; details: { fields: Record<string, string> } };

describe.each(testBackends())('recurring schedules (%s)', (backend) => {
  let t: TestApp;
  let flagCounter = 0;
  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false', SCHEDULER_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = () => apiClient(t);
  const run = () => runDueNow(t);
  const post = (flagKey: string, body: unknown) =>
    t.request<Schedule & ErrorBody>('POST', `/api/admin/flags/${flagKey}/schedule`, { body });
  const get = async (flagKey: string, id: string) =>
    (await t.request<Schedule>('GET', `/api/admin/flags/${flagKey}/schedule/${id}`)).body;
  const flagOf = async (flagKey: string) =>
    (await answer(api().GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey } } }))).body;
  const appliedEvents = async (scheduleId: string) =>
    (await answer(api().GET('/api/admin/audit', { params: { query: { scheduleId, type: 'flag_schedule.applied' } } })))
      .body.items;

  async function newFlag(): Promise<string> {
    const key = `recurring-${++flagCounter}`;
    expect((await answer(api().POST('/api/admin/flags', { body: { key } }))).status).toBe(201);
    return key;
  }

  /** Moves the pending occurrence of a schedule `ms` into the past, as if the worker had been down since then. */
  const dueSince = (id: string, ms: number) =>
    t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = now() - make_interval(secs => ${ms / 1000}) where id = ${id}`,
    );

  it('creates a cron recurrence: 201 with the next 10 occurrences in UTC and local time, listed the same way', async () => {
    const key = await newFlag();
    const created = await post(key, {
      recurrence: { cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin' },
      updates: { enabled: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      recurrence: { kind: 'cron', cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin' },
      occurrenceCount: 0,
      lastOccurrenceAt: null,
    });
    const next = created.body.nextOccurrences ?? [];
    expect(next).toHaveLength(10);
    expect(created.body.scheduledAt).toBe(next[0]?.utc);
    for (const occurrence of next) {
      expect(occurrence.local).toMatch(/^\d{4}-\d\d-\d\dT09:00:00\+0[12]:00$/);
      expect(new Date(occurrence.local).toISOString()).toBe(occurrence.utc);
      expect([0, 6]).not.toContain(new Date(occurrence.utc).getUTCDay());
    }
    const list = await t.request<Schedule[]>('GET', `/api/admin/flags/${key}/schedule`);
    expect(list.body[0]?.nextOccurrences).toEqual(next);
    const all = await t.request<{ items: Schedule[] }>('GET', '/api/admin/schedules?status=pending&limit=500');
    expect(all.body.items.find((s) => s.id === created.body.id)?.nextOccurrences).toEqual(next);
    // A one-off answers as before: none of the recurring fields.
    const once = await post(key, {
      scheduledAt: new Date(Date.now() + 60_000).toISOString(),
      updates: { enabled: true },
    });
    expect(once.status).toBe(201);
    expect(Object.keys(once.body)).not.toContain('nextOccurrences');
    expect(Object.keys(once.body)).not.toContain('recurrence');
  });

  it.each([
    [
      'an unknown time zone',
      { recurrence: { cron: '0 9 * * *', timeZone: 'Mars/Olympus' }, updates: { enabled: true } },
      'recurrence.timeZone',
    ],
    [
      'an offset for a zone',
      { recurrence: { cron: '0 9 * * *', timeZone: '+01:00' }, updates: { enabled: true } },
      'recurrence.timeZone',
    ],
    [
      'a four-field cron',
      { recurrence: { cron: '0 9 * *', timeZone: 'UTC' }, updates: { enabled: true } },
      'recurrence.cron',
    ],
    [
      'minute 61',
      { recurrence: { cron: '61 9 * * *', timeZone: 'UTC' }, updates: { enabled: true } },
      'recurrence.cron',
    ],
    [
      'a cron that never occurs',
      { recurrence: { cron: '0 9 31 2 *', timeZone: 'UTC' }, updates: { enabled: true } },
      'recurrence.cron',
    ],
    [
      'an until already past',
      { recurrence: { cron: '0 9 * * *', timeZone: 'UTC', until: '2020-01-01T00:00:00Z' }, updates: { enabled: true } },
      'recurrence.until',
    ],
    [
      'count 0',
      { recurrence: { cron: '0 9 * * *', timeZone: 'UTC', count: 0 }, updates: { enabled: true } },
      'recurrence.count',
    ],
    ['no updates', { recurrence: { cron: '0 9 * * *', timeZone: 'UTC' } }, 'updates'],
    [
      'both scheduledAt and recurrence',
      {
        scheduledAt: '2099-01-01T00:00:00Z',
        recurrence: { cron: '0 9 * * *', timeZone: 'UTC' },
        updates: { enabled: true },
      },
      'recurrence',
    ],
    [
      'a window in an unknown zone',
      { window: { on: '09:00', off: '17:00', timeZone: 'Europe/Atlantis' } },
      'window.timeZone',
    ],
    ['a window at 25:00', { window: { on: '25:00', off: '17:00', timeZone: 'UTC' } }, 'window.on'],
    ['a window that closes as it opens', { window: { on: '09:00', off: '09:00', timeZone: 'UTC' } }, 'window.off'],
    [
      'a window on "funday"',
      { window: { on: '09:00', off: '17:00', days: ['funday'], timeZone: 'UTC' } },
      'window.days.0',
    ],
    [
      'offUpdates without a window',
      {
        recurrence: { cron: '0 9 * * *', timeZone: 'UTC' },
        updates: { enabled: true },
        offUpdates: { enabled: false },
      },
      'offUpdates',
    ],
    [
      'a window with bad offUpdates',
      { window: { on: '09:00', off: '17:00', timeZone: 'UTC' }, offUpdates: { rolloutPercentage: 101 } },
      'offUpdates.rolloutPercentage',
    ],
  ])('rejects %s with 400 naming the field, and writes nothing', async (_name, body, field) => {
    const key = await newFlag();
    const response = await post(key, body);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('VALIDATION_FAILED');
    expect(Object.keys(response.body.details.fields)).toContain(field);
    expect((await t.request<Schedule[]>('GET', `/api/admin/flags/${key}/schedule`)).body).toEqual([]);
  });

  it('applies each occurrence once, audited like a one-off with the occurrence time, and moves on to the next', async () => {
    const key = await newFlag();
    const created = await post(key, { recurrence: { cron: '0 9 * * *', timeZone: 'UTC' }, updates: { enabled: true } });
    const id = created.body.id;
    await dueSince(id, 1000);
    const pendingAt = (await get(key, id)).scheduledAt;
    expect(await run()).toMatchObject({ applied: 1 });
    expect(await run()).toMatchObject({ processed: 0 });
    const after = await get(key, id);
    expect(after).toMatchObject({ status: 'pending', occurrenceCount: 1, lastOccurrenceAt: pendingAt });
    expect(new Date(after.scheduledAt).getTime()).toBeGreaterThan(Date.now());
    expect(after.nextOccurrences?.[0]?.utc).toBe(after.scheduledAt);
    expect((await flagOf(key)).enabled).toBe(true);
    const events = await appliedEvents(id);
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({
      scheduleId: id,
      recurringScheduleId: id,
      occurrenceAt: pendingAt,
      skippedOccurrences: 0,
      updates: { enabled: true },
    });
    // Cancelling stops it.
    const cancelled = await t.request<Schedule>('DELETE', `/api/admin/flags/${key}/schedule/${id}`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', nextOccurrences: [] });
    await dueSince(id, 1000);
    expect(await run()).toMatchObject({ processed: 0 });
  });

  it('after downtime applies only the latest missed occurrence, once, and counts the skipped ones', async () => {
    const key = await newFlag();
    const created = await post(key, {
      recurrence: { cron: '*/10 * * * *', timeZone: 'UTC', count: 50 },
      updates: { rolloutPercentage: 30 },
    });
    await dueSince(created.body.id, 65 * 60_000); // ~6 or 7 occurrences missed
    expect(await run()).toMatchObject({ applied: 1 });
    const events = await appliedEvents(created.body.id);
    expect(events).toHaveLength(1);
    const data = events[0]?.data as { occurrenceAt: string; skippedOccurrences: number };
    expect(data.skippedOccurrences).toBeGreaterThanOrEqual(6);
    expect(Date.now() - new Date(data.occurrenceAt).getTime()).toBeLessThan(10 * 60_000);
    const after = await get(key, created.body.id);
    expect(after.occurrenceCount).toBe(data.skippedOccurrences + 1);
    expect(after.nextOccurrences).toHaveLength(10);
    expect((await flagOf(key)).rolloutPercentage).toBe(30);
  });

  it('count ends it: the last occurrence completes the schedule', async () => {
    const key = await newFlag();
    const created = await post(key, {
      recurrence: { cron: '0 9 * * *', timeZone: 'America/New_York', count: 2 },
      updates: { enabled: true },
    });
    expect(created.body.nextOccurrences).toHaveLength(2);
    for (const expected of ['pending', 'completed'] as const) {
      await dueSince(created.body.id, 1000);
      expect(await run()).toMatchObject({ applied: 1 });
      expect((await get(key, created.body.id)).status).toBe(expected);
    }
    const done = await get(key, created.body.id);
    expect(done).toMatchObject({ occurrenceCount: 2, nextOccurrences: [] });
    expect(done.scheduledAt).toBe(done.lastOccurrenceAt);
    await dueSince(created.body.id, 1000);
    expect(await run()).toMatchObject({ processed: 0 });
    expect(await appliedEvents(created.body.id)).toHaveLength(2);
    expect((await t.request('DELETE', `/api/admin/flags/${key}/schedule/${created.body.id}`)).status).toBe(409);
  });

  it('until ends it', async () => {
    const key = await newFlag();
    const created = await post(key, {
      recurrence: { cron: '0 * * * *', timeZone: 'UTC', until: new Date(Date.now() + 3_600_000).toISOString() },
      updates: { enabled: true },
    });
    expect(created.body.nextOccurrences).toHaveLength(1);
    // An hour passes (the occurrence and until move into the past by the cron's period, so it stays on its grid).
    const shift = 3_600_000;
    const until = new Date(new Date(created.body.recurrence?.until ?? '').getTime() - shift).toISOString();
    await t.deps.database.db.execute(
      sql`update flag_schedules
          set scheduled_at = scheduled_at - make_interval(secs => ${shift / 1000}),
              recurrence = jsonb_set(recurrence, '{until}', to_jsonb(${until}::text))
          where id = ${created.body.id}`,
    );
    expect(await run()).toMatchObject({ applied: 1 });
    expect(await get(key, created.body.id)).toMatchObject({ status: 'completed', occurrenceCount: 1 });
  });

  it('a window: on applies updates (default enabled), off the inverse (default disabled)', async () => {
    const key = await newFlag();
    const created = await post(key, {
      window: { on: '09:00', off: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], timeZone: 'America/New_York' },
    });
    expect(created.status).toBe(201);
    expect(created.body.updates).toEqual({ enabled: true });
    expect(created.body.recurrence).toMatchObject({ kind: 'window', offUpdates: { enabled: false } });
    const next = created.body.nextOccurrences ?? [];
    expect(next.map((o) => o.action)).toEqual(['on', 'off', 'on', 'off', 'on', 'off', 'on', 'off', 'on', 'off']);
    expect(next.map((o) => o.local.slice(11, 16))).toEqual(Array(5).fill(['09:00', '17:00']).flat());
    const states: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await dueSince(created.body.id, 1000);
      await run();
      states.push((await flagOf(key)).enabled);
    }
    expect(states).toEqual([true, false, true]);
    const events = await appliedEvents(created.body.id);
    expect(events.map((e) => (e.data as { action: string }).action).sort()).toEqual(['off', 'on', 'on']);
  });

  it('each occurrence goes to webhooks subscribed to flag_schedule.applied, as a one-off does', async () => {
    const key = await newFlag();
    const hook = await t.request<{ id: string }>('POST', '/api/admin/webhooks', {
      body: { url: 'https://hooks.example.com/recurring', eventTypes: ['flag_schedule.applied'] },
    });
    expect(hook.status).toBe(201);
    const created = await post(key, { recurrence: { cron: '0 9 * * *', timeZone: 'UTC' }, updates: { enabled: true } });
    for (let i = 0; i < 2; i++) {
      await dueSince(created.body.id, 1000);
      expect(await run()).toMatchObject({ applied: 1 });
    }
    await sealAudit(t);
    const deliveries = await t.request<{ items: { eventId: string }[] }>(
      'GET',
      `/api/admin/webhooks/${hook.body.id}/deliveries`,
    );
    const events = await appliedEvents(created.body.id);
    expect(events).toHaveLength(2);
    expect(deliveries.body.items.map((d) => d.eventId).sort()).toEqual(events.map((e) => String(e.id)).sort());
    expect(await t.request('DELETE', `/api/admin/webhooks/${hook.body.id}`)).toMatchObject({ status: 204 });
  });
});
