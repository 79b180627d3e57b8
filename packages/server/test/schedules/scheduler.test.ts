import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { type BackgroundJobs, startBackgroundJobs } from '../../src/background/jobs';
import type { ChangeNotice } from '../../src/db/unit-of-work';
import { type ApplyOptions, runDuePass } from '../../src/schedules/apply';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';

const RETRY = { retryBaseMs: 1000, retryJitterMs: 500 };

describe.each(testBackends())('the scheduler on a real database (%s)', (backend) => {
  let t: TestApp;
  let flagCounter = 0;
  const options: ApplyOptions = { batchSize: 100, ...RETRY };

  beforeAll(async () => {
    t = await createTestApp(backend, {
      SCHEDULER_ENABLED: 'false',
      SCHEDULE_RETRY_BASE_MS: String(RETRY.retryBaseMs),
      SCHEDULE_RETRY_JITTER_MS: String(RETRY.retryJitterMs),
      SCHEDULER_POLL_MS: '60000',
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    await t.deps.database.db.execute(sql`drop trigger if exists test_fault on flag_states`);
  });

  const uow = () => ({
    db: t.deps.database.db,
    logger: t.deps.logger,
    afterCommit: (notice: ChangeNotice) => t.deps.snapshot.receive(notice),
  });
  const run = () => runDuePass(uow(), options);
  const api = () => apiClient(t);
  const auditOf = (query: {
    scheduleId?: string;
    flagKey?: string;
    type?: 'flag_schedule.applied' | 'flag_schedule.retrying';
  }) => answer(api().GET('/api/admin/audit', { params: { query } }));
  const getFlag = (flagKey: string) =>
    answer(api().GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey } } }));
  const evaluateForU1 = () =>
    answer(apiClient(t, t.tokens.client).GET('/api/config/flags', { params: { query: { userId: 'u1' } } }));

  async function newFlag(): Promise<string> {
    const key = `worker-flag-${++flagCounter}`;
    expect((await answer(api().POST('/api/admin/flags', { body: { key } }))).status).toBe(201);
    return key;
  }

  /** A schedule that is already due: inserted through the API for the future, then moved into the past. */
  async function dueSchedule(
    flagKey: string,
    updates: components['schemas']['CreateScheduleBody']['updates'],
    extra: { maxRetries?: number } = {},
  ) {
    const created = await answer(
      api().POST('/api/admin/flags/{flagKey}/schedule', {
        params: { path: { flagKey } },
        body: { scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), updates, ...extra },
      }),
    );
    expect(created.status).toBe(201);
    await t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = now() - interval '1 second' where id = ${created.body.id}`,
    );
    return created.body;
  }

  const getSchedule = async (flagKey: string, id: string) =>
    (
      await answer(
        api().GET('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey, scheduleId: id } },
        }),
      )
    ).body;

  /** Makes flag_states updates fail: the first `times` attempts (counted by a sequence, which rollbacks don't undo). */
  async function injectFault(times: number): Promise<void> {
    const db = t.deps.database.db;
    await db.execute(sql`drop sequence if exists test_fault_attempts`);
    await db.execute(sql`create sequence test_fault_attempts`);
    await db.execute(
      sql.raw(`create or replace function test_fault() returns trigger language plpgsql as $$
        begin
          if nextval('test_fault_attempts') <= ${times} then raise exception 'injected fault'; end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql`create trigger test_fault before update on flag_states for each row execute function test_fault()`,
    );
  }

  async function faultAttempts(): Promise<number> {
    const result = (await t.deps.database.db.execute(
      sql`select last_value, is_called from test_fault_attempts`,
    )) as unknown as {
      rows: { last_value: string | number; is_called: boolean }[];
    };
    const row = result.rows[0];
    return row?.is_called ? Number(row.last_value) : 0;
  }

  it('applies a due schedule: the due-query really finds it (origin bug 1)', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { enabled: true, rolloutPercentage: 100 });
    const summary = await run();
    expect(summary).toMatchObject({ processed: 1, applied: 1, retried: 0, failed: 0 });
    const applied = await getSchedule(key, schedule.id);
    expect(applied.status).toBe('applied');
    expect(applied.appliedAt).not.toBeNull();
    const flag = await getFlag(key);
    expect(flag.body).toMatchObject({ enabled: true, rolloutPercentage: 100, version: 2 });
    const evaluated = await evaluateForU1();
    expect(evaluated.body[key]).toBe(true);
    const audit = await auditOf({ scheduleId: schedule.id, type: 'flag_schedule.applied' });
    const event = audit.body.items[0];
    expect(event?.actor).toEqual({ type: 'system', id: 'scheduler', email: null });
    expect(event?.data).toMatchObject({
      scheduleId: schedule.id,
      flagKey: key,
      updates: { enabled: true, rolloutPercentage: 100 },
      appliedAt: applied.appliedAt,
      flagState: { enabled: true, rolloutPercentage: 100 },
    });
    expect(event?.before).toMatchObject({ enabled: false, rolloutPercentage: 0, version: 1 });
    expect(event?.after).toMatchObject({ enabled: true, rolloutPercentage: 100, version: 2 });
    expect(await run()).toMatchObject({ processed: 0 });
  });

  it('applies schedules due at the same instant in creation order (the last created wins)', async () => {
    const key = await newFlag();
    const first = await dueSchedule(key, { rolloutPercentage: 10 });
    const second = await dueSchedule(key, { rolloutPercentage: 90 });
    await t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = date_trunc('second', now()) - interval '2 seconds' where id in (${first.id}, ${second.id})`,
    );
    expect(await run()).toMatchObject({ applied: 2 });
    const flag = await getFlag(key);
    expect(flag.body).toMatchObject({ rolloutPercentage: 90, version: 3 });
    const audit = await auditOf({ flagKey: key, type: 'flag_schedule.applied' });
    expect(audit.body.items.map((item) => item.scheduleId)).toEqual([second.id, first.id]); // newest first
  });

  it('retries a transient failure with backoff, stays pending and cancellable, then applies and clears retry fields', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { enabled: true });
    await injectFault(1);
    const failedAt = Date.now();
    expect(await run()).toMatchObject({ processed: 1, retried: 1, applied: 0 });
    const waiting = await getSchedule(key, schedule.id);
    expect(waiting).toMatchObject({ status: 'pending', retryCount: 1, errorMessage: null });
    expect(waiting.lastError).toContain('injected fault');
    const delay = Date.parse(waiting.nextRetryAt ?? '') - failedAt;
    expect(delay).toBeGreaterThanOrEqual(RETRY.retryBaseMs - 200);
    expect(delay).toBeLessThanOrEqual(RETRY.retryBaseMs + RETRY.retryJitterMs + 1000);
    const retrying = await auditOf({ scheduleId: schedule.id, type: 'flag_schedule.retrying' });
    expect(retrying.body.items[0]?.data).toMatchObject({ retryCount: 1, nextRetryAt: waiting.nextRetryAt });
    // Not due again before nextRetryAt.
    expect(await run()).toMatchObject({ processed: 0 });
    await t.deps.database.db.execute(sql`update flag_schedules set next_retry_at = now() where id = ${schedule.id}`);
    expect(await run()).toMatchObject({ applied: 1 });
    const applied = await getSchedule(key, schedule.id);
    expect(applied).toMatchObject({ status: 'applied', retryCount: 0, nextRetryAt: null, lastError: null });
  });

  it('can cancel a schedule that is waiting to retry (origin bug 4)', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { enabled: true });
    await injectFault(1);
    expect(await run()).toMatchObject({ retried: 1 });
    const cancelled = await answer(
      api().DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
        params: { path: { flagKey: key, scheduleId: schedule.id } },
      }),
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await t.deps.database.db.execute(sql`update flag_schedules set next_retry_at = now() where id = ${schedule.id}`);
    expect(await run()).toMatchObject({ processed: 0 });
  });

  it('fails after exactly 1 + maxRetries attempts, with errorMessage and one flag_schedule.failed event (origin bugs 3, 5)', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { enabled: true }, { maxRetries: 2 });
    await injectFault(1_000_000);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const summary = await run();
      expect(summary.processed).toBe(1);
      expect(summary[attempt < 3 ? 'retried' : 'failed']).toBe(1);
      await t.deps.database.db.execute(
        sql`update flag_schedules set next_retry_at = now() where id = ${schedule.id} and status = 'pending'`,
      );
    }
    expect(await faultAttempts()).toBe(3);
    expect(await run()).toMatchObject({ processed: 0 });
    const failed = await getSchedule(key, schedule.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toContain('injected fault');
    const events = await auditOf({ scheduleId: schedule.id });
    const types = events.body.items.map((item) => item.type);
    expect(types.filter((type) => type === 'flag_schedule.retrying')).toHaveLength(2);
    expect(types.filter((type) => type === 'flag_schedule.failed')).toHaveLength(1);
    const failedEvent = events.body.items.find((item) => item.type === 'flag_schedule.failed');
    expect(failedEvent?.data).toMatchObject({ scheduleId: schedule.id, flagKey: key });
    expect(String(failedEvent?.data.errorMessage)).toContain('injected fault');
    const flag = await getFlag(key);
    expect(flag.body.enabled).toBe(false);
  });

  it('maxRetries 0 means one attempt', async () => {
    const key = await newFlag();
    await dueSchedule(key, { enabled: true }, { maxRetries: 0 });
    await injectFault(1);
    expect(await run()).toMatchObject({ processed: 1, failed: 1, retried: 0 });
  });

  it('re-validates stored updates at apply time and fails them at once (origin bug 6)', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { rolloutPercentage: 50 });
    await t.deps.database.db.execute(
      sql`update flag_schedules set updates = '{"rolloutPercentage": 500}'::jsonb where id = ${schedule.id}`,
    );
    expect(await run()).toMatchObject({ processed: 1, failed: 1, retried: 0 });
    const failed = await getSchedule(key, schedule.id);
    expect(failed.status).toBe('failed');
    expect(failed.retryCount).toBe(0);
    expect(failed.errorMessage).toContain('stored updates are not valid');
  });

  it('fails at once when the environment is gone', async () => {
    const key = await newFlag();
    const schedule = await dueSchedule(key, { enabled: true });
    await t.deps.database.db.execute(sql`update flag_schedules set environment = 'vanished' where id = ${schedule.id}`);
    expect(await run()).toMatchObject({ failed: 1 });
    const listed = await answer(
      api().GET('/api/admin/schedules', { params: { query: { status: 'failed', limit: 500 } } }),
    );
    const failed = listed.body.items.find((item) => item.id === schedule.id);
    expect(failed?.errorMessage).toContain('no state in environment "vanished"');
  });

  it('applies a batch together: per flag in due order, versions +1 each, one event per schedule, bad ones failed alone', async () => {
    const [a, b] = [await newFlag(), await newFlag()];
    const a1 = await dueSchedule(a, { rolloutPercentage: 10 });
    const b1 = await dueSchedule(b, { enabled: true });
    const a2 = await dueSchedule(a, { rolloutPercentage: 20, enabled: true });
    const bad = await dueSchedule(b, { rolloutPercentage: 30 });
    const a3 = await dueSchedule(a, { rolloutPercentage: 30 });
    await t.deps.database.db.execute(
      sql`update flag_schedules set updates = '{"rolloutPercentage": 500}'::jsonb where id = ${bad.id}`,
    );
    expect(await run()).toMatchObject({ processed: 5, applied: 4, failed: 1, retried: 0 });
    const flagA = await getFlag(a);
    expect(flagA.body).toMatchObject({ enabled: true, rolloutPercentage: 30, version: 4 });
    const flagB = await getFlag(b);
    expect(flagB.body).toMatchObject({ enabled: true, version: 2 });
    const events = await auditOf({ flagKey: a, type: 'flag_schedule.applied' });
    expect(events.body.items.map((item) => [item.scheduleId, item.before?.version, item.after?.version])).toEqual([
      [a3.id, 3, 4],
      [a2.id, 2, 3],
      [a1.id, 1, 2],
    ]);
    expect((await getSchedule(b, b1.id)).status).toBe('applied');
    expect((await getSchedule(b, bad.id)).status).toBe('failed');
  });

  it('when applying a batch together fails, applies one at a time: a transient fault costs no schedule an attempt', async () => {
    const [a, b] = [await newFlag(), await newFlag()];
    const first = await dueSchedule(a, { enabled: true });
    const second = await dueSchedule(b, { enabled: true });
    await injectFault(1); // the batch's statement hits it; the one-at-a-time attempts then succeed
    expect(await run()).toMatchObject({ processed: 2, applied: 2, retried: 0 });
    expect(await faultAttempts()).toBe(3);
    for (const [key, schedule] of [
      [a, first],
      [b, second],
    ] as const) {
      expect(await getSchedule(key, schedule.id)).toMatchObject({ status: 'applied', retryCount: 0 });
    }
  });

  describe('running as a worker', () => {
    let jobs: BackgroundJobs | undefined;
    afterEach(async () => {
      await jobs?.stop();
      jobs = undefined;
    });

    it('applies a schedule within 1 s of its time, woken by the create notification although it polls only every 60 s', async () => {
      jobs = await startBackgroundJobs(
        { database: t.deps.database, config: t.deps.config, logger: pino({ level: 'silent' }) },
        t.deps.snapshot,
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // let it go to sleep
      const key = await newFlag();
      const scheduledAt = new Date(Date.now() + 800);
      const created = await answer(
        api().POST('/api/admin/flags/{flagKey}/schedule', {
          params: { path: { flagKey: key } },
          body: { scheduledAt: scheduledAt.toISOString(), updates: { enabled: true, rolloutPercentage: 100 } },
        }),
      );
      expect(created.status).toBe(201);
      let schedule = created.body;
      const deadline = Date.now() + 5000;
      while (schedule.status === 'pending' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        schedule = await getSchedule(key, schedule.id);
      }
      expect(schedule.status).toBe('applied');
      const lateness = Date.parse(schedule.appliedAt ?? '') - Date.parse(schedule.scheduledAt);
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThan(1000);
      // The worker refreshes the snapshot right after its commit, so a poll can see `applied` a moment before.
      const evaluate = async () => (await evaluateForU1()).body[key];
      const refreshBy = Date.now() + 1000;
      while ((await evaluate()) !== true && Date.now() < refreshBy) await new Promise((r) => setTimeout(r, 20));
      expect(await evaluate()).toBe(true);
    });
  });
});
