import type { OverrideList, Schedule } from '@flagline/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditMark, auditSince, expectError, expectStatus } from '../helpers/http';
import { runDueNow } from '../helpers/scheduler';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/**
 * A scheduled change carries the admin API's whole patch for a flag environment, overrides included: users set (pins
 * checked against the flag's variants) and users removed, applied with the rest of the schedule in its transaction.
 */
describe.each(testBackends())('scheduled override changes (%s)', (backend) => {
  let t: TestApp;
  let counter = 0;

  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false', SCHEDULER_POLL_MS: '60000' });
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  async function colourFlag(): Promise<string> {
    const key = `scheduled-overrides-${++counter}`;
    const body = {
      key,
      type: 'string',
      variants: [
        { key: 'red', value: 'red' },
        { key: 'blue', value: 'blue' },
      ],
    };
    expectStatus(await t.request('POST', '/api/admin/flags', { body }), 201);
    return key;
  }
  const schedule = (key: string, updates: Record<string, unknown>) =>
    t.request<Schedule & { details: { fields: Record<string, string> } }>(
      'POST',
      `/api/admin/flags/${key}/schedule?environment=production`,
      { body: { scheduledAt: inMinutes(30), updates } },
    );
  const overrides = async (key: string) =>
    expectStatus(await t.request<OverrideList>('GET', `/api/admin/flags/${key}/users?environment=production`), 200);
  /** Moves the flag's schedules into the past, as if their time had come. */
  const timeComes = (key: string) =>
    t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = now() - interval '1 second' where flag_key = ${key}`,
    );

  it('sets and removes users at the scheduled time, with the state, audited like direct changes', async () => {
    const key = await colourFlag();
    const bob = { userId: 'bob', overrideType: 'exclude' };
    expectStatus(await t.request('POST', `/api/admin/flags/${key}/users?environment=production`, { body: bob }), 201);
    const updates = {
      enabled: true,
      overrides: { set: [{ userId: 'alice', overrideType: 'include', variant: 'blue' }], remove: ['bob', 'nobody'] },
    };
    const created = expectStatus(await schedule(key, updates), 201);
    expect(created.updates).toEqual(updates);
    expect((await overrides(key)).excludes.map((o) => o.userId)).toEqual(['bob']);

    await timeComes(key);
    const mark = await auditMark(t);
    expect((await runDueNow(t)).applied).toBe(1);
    const after = await overrides(key);
    expect(after.includes).toEqual([expect.objectContaining({ userId: 'alice', variant: 'blue' })]);
    expect(after.excludes).toEqual([]);
    const flag = expectStatus(await t.request<{ enabled: boolean }>('GET', `/api/admin/flags/${key}`), 200);
    expect(flag.enabled).toBe(true);
    const types = (await auditSince(t, mark)).map((event) => event.type).sort();
    expect(types).toEqual(['flag_override.removed', 'flag_override.set', 'flag_schedule.applied']);
  });

  it('refuses at creation a pin of a variant the flag lacks, and a user set twice, naming the field', async () => {
    const key = await colourFlag();
    const pin = { userId: 'carol', overrideType: 'include', variant: 'green' };
    const refused = await schedule(key, { overrides: { set: [pin] } });
    expectError(refused, 400, 'VALIDATION_FAILED');
    expect(refused.body.details.fields).toHaveProperty(['updates.overrides.set.0.variant']);
    const twice = await schedule(key, { overrides: { set: [pin, pin].map((p) => ({ ...p, variant: 'red' })) } });
    expectError(twice, 400, 'VALIDATION_FAILED');
    const empty = await schedule(key, { overrides: {} });
    expectError(empty, 400, 'VALIDATION_FAILED');
  });

  it('fails whole, with a clear error and an audit event, when the flag changed incompatibly meanwhile', async () => {
    const key = await colourFlag();
    const updates = {
      enabled: true,
      overrides: { set: [{ userId: 'dave', overrideType: 'include', variant: 'blue' }] },
    };
    const created = expectStatus(await schedule(key, updates), 201);
    // The pinned variant goes before the schedule's time (nothing serves it yet, so it may).
    expectStatus(
      await t.request('PUT', `/api/admin/flags/${key}/variants`, {
        body: { variants: [{ key: 'red', value: 'red' }] },
      }),
      200,
    );
    await timeComes(key);
    const mark = await auditMark(t);
    expect((await runDueNow(t)).failed).toBe(1);
    const failed = expectStatus(
      await t.request<Schedule>('GET', `/api/admin/flags/${key}/schedule/${created.id}`),
      200,
    );
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toContain('updates.overrides.set.0.variant');
    // Nothing of it applied: neither the state nor the override.
    const flag = expectStatus(await t.request<{ enabled: boolean }>('GET', `/api/admin/flags/${key}`), 200);
    expect(flag.enabled).toBe(false);
    expect((await overrides(key)).includes).toEqual([]);
    expect((await auditSince(t, mark)).map((event) => event.type)).toEqual(['flag_schedule.failed']);
  });
});
