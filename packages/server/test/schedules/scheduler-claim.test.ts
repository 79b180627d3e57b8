import type { ScheduleUpdates } from '@flagline/core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../src/audit/recorder';
import { setStates } from '../../src/flags/flag-store';
import { runDuePass } from '../../src/schedules/apply';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp } from '../helpers/app';
import { postgresBackends, testBackends } from '../helpers/database';

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setUp(backend: Parameters<typeof createTestApp>[0]) {
  const t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false' });
  const api = apiClient(t);
  let counter = 0;
  const newFlag = async () => {
    const key = `claim-flag-${++counter}`;
    expect((await answer(api.POST('/api/admin/flags', { body: { key } }))).status).toBe(201);
    const [row] = rowsOf<{ id: string }>(
      await t.deps.database.db.execute(sql`select id from flags where key = ${key}`),
    );
    return { key, id: row?.id ?? '' };
  };
  /** Created through the API for the future, then moved into the past. */
  const dueSchedule = async (flagKey: string, updates: ScheduleUpdates) => {
    const created = await answer(
      api.POST('/api/admin/flags/{flagKey}/schedule', {
        params: { path: { flagKey } },
        body: { scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), updates },
      }),
    );
    expect(created.status).toBe(201);
    await t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = now() - interval '1 second' where id = ${created.body.id}`,
    );
    return created.body;
  };
  const statusOf = async (id: string) =>
    rowsOf<{ status: string }>(
      await t.deps.database.db.execute(sql`select status from flag_schedules where id = ${id}`),
    )[0]?.status;
  const run = () =>
    runDuePass(
      { db: t.deps.database.db, logger: t.deps.logger },
      { batchSize: 100, retryBaseMs: 1000, retryJitterMs: 0 },
    );
  return { t, newFlag, dueSchedule, statusOf, run };
}

describe.each(testBackends())('the scheduler’s building blocks (%s)', (backend) => {
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    s = await setUp(backend);
  });
  afterAll(async () => {
    await s?.t.close();
  });

  it('AuditRecorder.savepoint: a rolled-back savepoint takes its events with it; the rest are kept', async () => {
    const actor = { type: 'system' as const, id: 'savepoint-test', email: null };
    const kept = await s.t.deps.database.db.transaction(async (tx) => {
      const audit = new AuditRecorder(tx, actor, null);
      await audit.savepoint(() =>
        audit.record({ type: 'flag.created', flagKey: 'kept', data: { flagKey: 'kept', description: '' } }),
      );
      await expect(
        audit.savepoint(async () => {
          await audit.record({
            type: 'flag.created',
            flagKey: 'rolled-back',
            data: { flagKey: 'rolled-back', description: '' },
          });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      return audit.recorded.map((event) => event.flagKey);
    });
    expect(kept).toEqual(['kept']);
    const stored = rowsOf<{ flag_key: string }>(
      await s.t.deps.database.db.execute(sql`select flag_key from audit_events where actor_id = 'savepoint-test'`),
    );
    expect(stored.map((row) => row.flag_key)).toEqual(['kept']);
  });

  it('FlagStore.setStates: writes fold in order, one version each, and a missing state changes nothing', async () => {
    const flag = await s.newFlag();
    const at = new Date();
    const changes = await s.t.deps.database.db.transaction((tx) =>
      setStates(
        tx,
        [
          { flagId: flag.id, environment: 'production', patch: { rolloutPercentage: 10 } },
          { flagId: flag.id, environment: 'production', patch: { enabled: true } },
          { flagId: flag.id, environment: 'nowhere', patch: { enabled: true } },
          { flagId: flag.id, environment: 'production', patch: {} },
        ],
        at,
      ),
    );
    expect(changes).toEqual([
      {
        before: { enabled: false, rolloutPercentage: 0, version: 1 },
        after: { enabled: false, rolloutPercentage: 10, version: 2 },
      },
      {
        before: { enabled: false, rolloutPercentage: 10, version: 2 },
        after: { enabled: true, rolloutPercentage: 10, version: 3 },
      },
      undefined,
      {
        before: { enabled: true, rolloutPercentage: 10, version: 3 },
        after: { enabled: true, rolloutPercentage: 10, version: 4 },
      },
    ]);
    const flagView = await answer(
      apiClient(s.t).GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: flag.key } } }),
    );
    expect(flagView.body).toMatchObject({ enabled: true, rolloutPercentage: 10, version: 4 });
  });
});

describe.each(postgresBackends())('the lock order, flag state then schedules (%s)', (backend) => {
  let s: Awaited<ReturnType<typeof setUp>>;
  let holder: pg.Client;
  beforeAll(async () => {
    s = await setUp(backend);
    holder = new pg.Client({ connectionString: s.t.testDatabase.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await s?.t.close();
  });

  /** Another transaction holds the flag's state in production, as a PATCH or a cancel does. */
  async function holdState(flagId: string): Promise<void> {
    await holder.query('begin');
    await holder.query(`select 1 from flag_states where flag_id = $1 and environment = 'production' for update`, [
      flagId,
    ]);
  }

  it('a worker skips a flag whose state another transaction holds, applies the others, and that one afterwards', async () => {
    const [held, free] = [await s.newFlag(), await s.newFlag()];
    const heldSchedule = await s.dueSchedule(held.key, { enabled: true });
    const freeSchedule = await s.dueSchedule(free.key, { enabled: true });
    await holdState(held.id);
    try {
      // Without claiming by flag state the worker would wait for the holder here.
      const pass = await Promise.race([s.run(), sleep(10_000).then(() => 'blocked' as const)]);
      expect(pass).toMatchObject({ applied: 1, failed: 0, retried: 0 });
      expect(await s.statusOf(freeSchedule.id)).toBe('applied');
      expect(await s.statusOf(heldSchedule.id)).toBe('pending');
    } finally {
      await holder.query('commit');
    }
    expect(await s.run()).toMatchObject({ applied: 1 });
    expect(await s.statusOf(heldSchedule.id)).toBe('applied');
  }, 30_000);

  it('cancelling takes the flag state first: it waits while the state is held, then cancels', async () => {
    const flag = await s.newFlag();
    const schedule = await s.dueSchedule(flag.key, { enabled: true });
    await holdState(flag.id);
    let settled = false;
    const cancel = answer(
      apiClient(s.t).DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
        params: { path: { flagKey: flag.key, scheduleId: schedule.id } },
      }),
    ).finally(() => {
      settled = true;
    });
    try {
      await sleep(500);
      expect(settled).toBe(false);
    } finally {
      await holder.query('commit');
    }
    const cancelled = await cancel;
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  }, 30_000);
});
