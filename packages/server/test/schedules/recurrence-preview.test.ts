import type { RecurrencePreview } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';

type ErrorBody = { error: string; details: { fields: Record<string, string> } };

const offsetOf = (local: string) => local.slice(-6);

describe.each(testBackends())('POST /api/admin/schedules/preview (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const preview = (body: unknown) =>
    t.request<RecurrencePreview & ErrorBody>('POST', '/api/admin/schedules/preview', { body });

  it('answers the next 10 occurrences of a cron as creating it would list them, across a DST change', async () => {
    // The 28th of each month at 09:00: ten months always span a DST change in Berlin.
    const recurrence = { cron: '0 9 28 * *', timeZone: 'Europe/Berlin' };
    const answered = await preview({ recurrence });
    expect(answered.status).toBe(200);
    const next = answered.body.nextOccurrences;
    expect(next).toHaveLength(10);
    for (const occurrence of next) {
      expect(occurrence.local).toMatch(/^\d{4}-\d\d-28T09:00:00\+0[12]:00$/);
      expect(new Date(occurrence.local).toISOString()).toBe(occurrence.utc);
    }
    expect(new Set(next.map((occurrence) => offsetOf(occurrence.local)))).toEqual(new Set(['+01:00', '+02:00']));

    const flagKey = 'preview-matches-creation';
    expect((await t.request('POST', '/api/admin/flags', { body: { key: flagKey } })).status).toBe(201);
    const created = await t.request<{ nextOccurrences: unknown }>('POST', `/api/admin/flags/${flagKey}/schedule`, {
      body: { recurrence, updates: { enabled: true } },
    });
    expect(created.status).toBe(201);
    expect(created.body.nextOccurrences).toEqual(next);
  });

  it('previews a window as opening and closing occurrences, honouring count', async () => {
    const answered = await preview({
      window: { on: '09:00', off: '17:00', days: ['mon'], timeZone: 'America/New_York', count: 2 },
    });
    expect(answered.status).toBe(200);
    expect(answered.body.nextOccurrences.map((occurrence) => occurrence.action)).toEqual(['on', 'off', 'on', 'off']);
    expect(answered.body.nextOccurrences[0]?.local).toMatch(/T09:00:00-0[45]:00$/);
    expect(answered.body.nextOccurrences[1]?.local).toMatch(/T17:00:00-0[45]:00$/);
  });

  it.each([
    ['an unknown zone', { recurrence: { cron: '0 9 * * *', timeZone: 'Mars/Olympus' } }, 'recurrence.timeZone'],
    ['a cron croner refuses', { recurrence: { cron: '99 9 * * *', timeZone: 'UTC' } }, 'recurrence.cron'],
    ['a cron that never occurs', { recurrence: { cron: '0 9 31 2 *', timeZone: 'UTC' } }, 'recurrence.cron'],
    [
      'an until already passed',
      { recurrence: { cron: '0 9 * * *', timeZone: 'UTC', until: '2020-01-01T00:00:00Z' } },
      'recurrence.until',
    ],
    ['a window that closes as it opens', { window: { on: '09:00', off: '09:00', timeZone: 'UTC' } }, 'window.off'],
    ['neither form', {}, 'recurrence'],
    [
      'both forms',
      { recurrence: { cron: '0 9 * * *', timeZone: 'UTC' }, window: { on: '09:00', off: '10:00', timeZone: 'UTC' } },
      'window',
    ],
    ['a field creation has but a preview does not', { scheduledAt: '2030-01-01T00:00:00Z' }, 'scheduledAt'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const answered = await preview(body);
    expect(answered.status).toBe(400);
    expect(answered.body.error).toBe('VALIDATION_FAILED');
    expect(Object.keys(answered.body.details.fields)).toContain(field);
  });
});
