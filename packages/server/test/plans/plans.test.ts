import type { ChangeRequest, Conflict, Plan, PlanWithConflicts, Schedule } from '@flagline/core';
import { createdTokenSchema } from '@flagline/core';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagSchedules } from '../../src/db/schema';
import { deferLaterSteps } from '../../src/plans/plan-store';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, expectStatus } from '../helpers/http';
import { runDueNow } from '../helpers/scheduler';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
type ErrorBody = { error: string; details: { fields?: Record<string, string>; conflicts?: Conflict[] } };
type Created = PlanWithConflicts & ErrorBody & { changeRequest: ChangeRequest };

describe.each(testBackends())('rollout plans (%s)', (backend) => {
  let t: TestApp;
  let counter = 0;
  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false', SCHEDULER_POLL_MS: '60000' });
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const run = () => runDueNow(t);
  async function newFlag(): Promise<string> {
    const key = `plan-${++counter}`;
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key } })), 201);
    return key;
  }
  const createPlan = (flagKey: string, body: unknown, query = '') =>
    t.request<Created>('POST', `/api/admin/flags/${flagKey}/plans?environment=production${query}`, { body });
  const act = (flagKey: string, id: string, action: 'pause' | 'resume' | 'cancel', query = '') =>
    t.request<PlanWithConflicts & ErrorBody>(
      action === 'cancel' ? 'DELETE' : 'POST',
      `/api/admin/flags/${flagKey}/plans/${id}${action === 'cancel' ? '' : `/${action}`}${query}`,
    );
  const getPlan = async (flagKey: string, id: string) =>
    (await t.request<Plan>('GET', `/api/admin/flags/${flagKey}/plans/${id}`)).body;
  const flagState = async (flagKey: string) =>
    (await t.request<{ enabled: boolean; rolloutPercentage: number }>('GET', `/api/admin/flags/${flagKey}`)).body;
  const threeSteps = () => ({
    name: 'ramp',
    steps: [
      { scheduledAt: inMinutes(10), updates: { enabled: true, rolloutPercentage: 10 } },
      { scheduledAt: inMinutes(20), updates: { rolloutPercentage: 50 } },
      { scheduledAt: inMinutes(30), updates: { rolloutPercentage: 100 } },
    ],
  });
  /** Moves the plan's steps `minutes` earlier, as if that much time had passed. */
  const timePasses = (planId: string, minutes: number) =>
    t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = scheduled_at - make_interval(mins => ${minutes}) where plan_id = ${planId}`,
    );
  const countRows = async (table: 'rollout_plans' | 'flag_schedules', flagKey: string) => {
    const result = await t.deps.database.db.execute(
      sql`select count(*)::int as n from ${sql.identifier(table)} where flag_key = ${flagKey}`,
    );
    return (result as unknown as { rows: { n: number }[] }).rows[0]?.n;
  };

  it('creates a plan with its steps as schedules, listed with the others, audited', async () => {
    const key = await newFlag();
    const created = await createPlan(key, threeSteps());
    expect(created.status).toBe(201);
    expect(created.body.conflicts).toEqual([]);
    const { plan } = created.body;
    expect(plan).toMatchObject({ flagKey: key, environment: 'production', name: 'ramp', status: 'active' });
    expect(plan.steps.map((step) => [step.planId, step.planStep, step.status])).toEqual([
      [plan.id, 0, 'pending'],
      [plan.id, 1, 'pending'],
      [plan.id, 2, 'pending'],
    ]);
    const listed = await t.request<Schedule[]>('GET', `/api/admin/flags/${key}/schedule`);
    expect(listed.body.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
    const all = await t.request<{ items: Schedule[] }>('GET', '/api/admin/schedules?status=pending&limit=500');
    expect(all.body.items.filter((s) => s.planId === plan.id)).toHaveLength(3);
    expect((await t.request<Plan[]>('GET', `/api/admin/flags/${key}/plans`)).body.map((p) => p.id)).toEqual([plan.id]);
    expect(await getPlan(key, plan.id)).toEqual(plan);
    const [event] = await auditEvents(t, { type: 'plan.created', flagKey: key });
    expect(event?.data).toMatchObject({ planId: plan.id, steps: 3, scheduleIds: plan.steps.map((s) => s.id) });
  });

  it('is atomic: one invalid step answers 400 naming steps.N.field and creates nothing', async () => {
    const key = await newFlag();
    const body = threeSteps();
    const past = { ...body, steps: [body.steps[0], { ...body.steps[1], scheduledAt: inMinutes(-5) }] };
    const inPast = await createPlan(key, past);
    expect(inPast.status).toBe(400);
    expect(inPast.body.details.fields).toHaveProperty(['steps.1.scheduledAt']);
    const badUpdates = await createPlan(key, {
      steps: [body.steps[0], { scheduledAt: inMinutes(20), updates: { rolloutPercentage: 101 } }],
    });
    expect(badUpdates.status).toBe(400);
    expect(Object.keys(badUpdates.body.details.fields ?? {})[0]).toMatch(/^steps\.1\.updates/);
    const unordered = await createPlan(key, { steps: [body.steps[1], body.steps[0]] });
    expect(unordered.status).toBe(400);
    expect(unordered.body.details.fields).toHaveProperty(['steps.1.scheduledAt']);
    const badVariant = await createPlan(key, {
      steps: [body.steps[0], { scheduledAt: inMinutes(20), updates: { offVariant: 'nope' } }],
    });
    expect(badVariant.status).toBe(400);
    expect(JSON.stringify(badVariant.body.details)).toContain('steps.1.updates');
    expect(await countRows('rollout_plans', key)).toBe(0);
    expect(await countRows('flag_schedules', key)).toBe(0);
  });

  it('the worker applies the steps in order and completes the plan', async () => {
    const key = await newFlag();
    const { plan } = (await createPlan(key, threeSteps())).body;
    await timePasses(plan.id, 15);
    expect((await run()).applied).toBe(1);
    expect(await flagState(key)).toMatchObject({ enabled: true, rolloutPercentage: 10 });
    expect((await getPlan(key, plan.id)).status).toBe('active');
    await timePasses(plan.id, 20);
    expect((await run()).applied).toBe(2);
    expect(await flagState(key)).toMatchObject({ enabled: true, rolloutPercentage: 100 });
    const done = await getPlan(key, plan.id);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => s.status)).toEqual(['applied', 'applied', 'applied']);
    const applied = await auditEvents(t, { type: 'flag_schedule.applied', flagKey: key });
    expect(applied.map((e) => (e.data as { planStep?: number }).planStep).sort()).toEqual([0, 1, 2]);
    expect(await auditEvents(t, { type: 'plan.completed', flagKey: key })).toHaveLength(1);
  });

  it('pause stops the steps, resume applies only the latest overdue one (earlier ones skipped), cancel ends it; each audited once', async () => {
    const key = await newFlag();
    const { plan } = (await createPlan(key, threeSteps())).body;
    const paused = await act(key, plan.id, 'pause');
    expect(paused.status).toBe(200);
    expect(paused.body.plan.status).toBe('paused');
    expect(paused.body.plan.steps.map((s) => s.status)).toEqual(['paused', 'paused', 'paused']);
    expect((await act(key, plan.id, 'pause')).status).toBe(409);
    await timePasses(plan.id, 25);
    expect((await run()).applied).toBe(0);
    const resumed = await act(key, plan.id, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.plan.status).toBe('active');
    expect(resumed.body.plan.steps.map((s) => s.status)).toEqual(['skipped', 'pending', 'pending']);
    expect((await run()).applied).toBe(1);
    expect(await flagState(key)).toMatchObject({ enabled: false, rolloutPercentage: 50 });
    const cancelled = await act(key, plan.id, 'cancel');
    expect(cancelled.body.plan.status).toBe('cancelled');
    expect(cancelled.body.plan.steps.map((s) => s.status)).toEqual(['skipped', 'applied', 'cancelled']);
    expect((await act(key, plan.id, 'resume')).status).toBe(409);
    for (const type of ['plan.paused', 'plan.resumed', 'plan.cancelled'] as const) {
      expect(await auditEvents(t, { type, flagKey: key })).toHaveLength(1);
    }
    const [resumeEvent] = await auditEvents(t, { type: 'plan.resumed', flagKey: key });
    expect(resumeEvent?.data).toMatchObject({ skippedScheduleIds: [plan.steps[0]?.id] });
  });

  it('a step that fails for good pauses the plan and its later steps', async () => {
    const key = await newFlag();
    const { plan } = (await createPlan(key, threeSteps())).body;
    await t.deps.database.db.execute(
      sql`update flag_schedules set updates = '{"rolloutPercentage": 500}'::jsonb where plan_id = ${plan.id} and plan_step = 0`,
    );
    await timePasses(plan.id, 25);
    const summary = await run();
    expect(summary.failed).toBe(1);
    expect(summary.applied).toBe(0);
    const stopped = await getPlan(key, plan.id);
    expect(stopped.status).toBe('paused');
    expect(stopped.steps.map((s) => s.status)).toEqual(['failed', 'paused', 'paused']);
    const [event] = await auditEvents(t, { type: 'plan.paused', flagKey: key });
    expect(event?.data).toMatchObject({ reason: `step_failed:${plan.steps[0]?.id}` });
  });

  it('while a step waits to retry its later steps wait behind it, then all apply in step order', async () => {
    const key = await newFlag();
    const { plan } = (await createPlan(key, threeSteps())).body;
    await timePasses(plan.id, 35);
    const db = t.deps.database.db;
    const retryAt = new Date(Date.now() + 400);
    await db.execute(
      sql`update flag_schedules set retry_count = 1, next_retry_at = ${retryAt.toISOString()}::timestamptz
          where plan_id = ${plan.id} and plan_step = 0`,
    );
    const [first] = await db
      .select()
      .from(flagSchedules)
      .where(eq(flagSchedules.id, plan.steps[0]?.id ?? ''));
    if (!first) throw new Error('step 0 missing');
    await db.transaction((tx) => deferLaterSteps(tx, first, retryAt));
    const waiting = await getPlan(key, plan.id);
    expect(waiting.steps.map((s) => s.nextRetryAt && Date.parse(s.nextRetryAt) - retryAt.getTime())).toEqual([0, 1, 2]);
    expect((await run()).applied).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await run()).applied).toBe(3);
    const applied = await auditEvents(t, { type: 'flag_schedule.applied', flagKey: key });
    // Newest first: the last step's event is the newest.
    expect(applied.map((e) => (e.data as { planStep?: number }).planStep)).toEqual([2, 1, 0]);
    expect((await getPlan(key, plan.id)).status).toBe('completed');
    expect(await flagState(key)).toMatchObject({ rolloutPercentage: 100 });
  });

  it('deleting the flag cancels its plans and their paused steps; cancelling the only step cancels a plan', async () => {
    const key = await newFlag();
    const paused = (await createPlan(key, threeSteps())).body.plan;
    const active = (await createPlan(key, { steps: [{ scheduledAt: inMinutes(400), updates: { enabled: true } }] }))
      .body.plan;
    expect((await act(key, paused.id, 'pause')).status).toBe(200);
    expect((await t.request('DELETE', `/api/admin/flags/${key}`)).status).toBe(204);
    const steps = await t.deps.database.db.execute(
      sql`select status, count(*)::int as n from flag_schedules where plan_id in (${paused.id}, ${active.id}) group by status`,
    );
    expect((steps as unknown as { rows: unknown[] }).rows).toEqual([{ status: 'cancelled', n: 4 }]);
    const events = await auditEvents(t, { type: 'plan.cancelled', flagKey: key });
    expect(events.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ planId: paused.id, reason: 'flag_deleted' }),
        expect.objectContaining({ planId: active.id, reason: 'flag_deleted' }),
      ]),
    );

    const other = await newFlag();
    const plan = (await createPlan(other, { steps: [{ scheduledAt: inMinutes(400), updates: { enabled: true } }] }))
      .body.plan;
    const step = plan.steps[0]?.id ?? '';
    expect((await t.request('DELETE', `/api/admin/flags/${other}/schedule/${step}`)).status).toBe(200);
    expect((await getPlan(other, plan.id)).status).toBe('cancelled');
  });

  it('conflicts: schedules within the window on a shared field, not outside it, not within one plan', async () => {
    const key = await newFlag();
    const first = await t.request<Schedule>('POST', `/api/admin/flags/${key}/schedule`, {
      body: { scheduledAt: inMinutes(100), updates: { rolloutPercentage: 20 } },
    });
    expect(first.status).toBe(201);
    expect(first.body).not.toHaveProperty('conflicts');
    const created = await createPlan(key, {
      steps: [
        { scheduledAt: inMinutes(90), updates: { rolloutPercentage: 10 } },
        { scheduledAt: inMinutes(95), updates: { rolloutPercentage: 15 } },
        { scheduledAt: inMinutes(300), updates: { rolloutPercentage: 30 } },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body.conflicts).toEqual([
      {
        kind: 'pending-schedule',
        scheduleId: first.body.id,
        scheduledAt: first.body.scheduledAt,
        fields: ['rolloutPercentage'],
      },
    ]);
    // Another field, or outside the window: no conflict, and the origin's answer has no conflicts member.
    const otherField = await t.request<Schedule>('POST', `/api/admin/flags/${key}/schedule`, {
      body: { scheduledAt: inMinutes(100), updates: { enabled: true } },
    });
    expect(otherField.status).toBe(201);
    expect(otherField.body).not.toHaveProperty('conflicts');
    const far = await t.request<Schedule>('POST', `/api/admin/flags/${key}/schedule`, {
      body: { scheduledAt: inMinutes(500), updates: { rolloutPercentage: 40 } },
    });
    expect(far.body).not.toHaveProperty('conflicts');
    // Within the window of a plan step: listed with its plan id, status unchanged.
    const near = await t.request<Schedule & { conflicts: Conflict[] }>('POST', `/api/admin/flags/${key}/schedule`, {
      body: { scheduledAt: inMinutes(310), updates: { rolloutPercentage: 35 } },
    });
    expect(near.status).toBe(201);
    expect(near.body.conflicts).toEqual([
      expect.objectContaining({
        kind: 'pending-schedule',
        planId: created.body.plan.id,
        fields: ['rolloutPercentage'],
      }),
    ]);
  });

  it('?onConflict=reject answers 409 SCHEDULE_CONFLICT listing them and changes nothing', async () => {
    const key = await newFlag();
    await t.request('POST', `/api/admin/flags/${key}/schedule`, {
      body: { scheduledAt: inMinutes(100), updates: { enabled: true } },
    });
    const before = await countRows('flag_schedules', key);
    const rejected = await createPlan(
      key,
      { steps: [{ scheduledAt: inMinutes(110), updates: { enabled: false } }] },
      '&onConflict=reject',
    );
    expect(rejected.status).toBe(409);
    expect(rejected.body.error).toBe('SCHEDULE_CONFLICT');
    expect(rejected.body.details.conflicts).toHaveLength(1);
    const schedule = await t.request<ErrorBody>('POST', `/api/admin/flags/${key}/schedule?onConflict=reject`, {
      body: { scheduledAt: inMinutes(90), updates: { enabled: false } },
    });
    expect(schedule.status).toBe(409);
    const patch = await t.request<ErrorBody>('PATCH', `/api/admin/flags/${key}?onConflict=reject`, {
      body: { enabled: true },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.details.conflicts?.[0]?.kind).toBe('overwrites-manual-change');
    expect(await countRows('flag_schedules', key)).toBe(before);
    expect(await countRows('rollout_plans', key)).toBe(0);
    expect(await flagState(key)).toMatchObject({ enabled: false });
  });

  it('a manual change a pending schedule will overwrite lists it; without one the answer is as before', async () => {
    const key = await newFlag();
    const plain = await t.request<Record<string, unknown>>('PATCH', `/api/admin/flags/${key}`, {
      body: { enabled: true },
    });
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('conflicts');
    const { plan } = (await createPlan(key, threeSteps())).body;
    const patched = await t.request<{ conflicts: Conflict[]; rolloutPercentage: number }>(
      'PATCH',
      `/api/admin/flags/${key}`,
      { body: { rolloutPercentage: 5 } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.rolloutPercentage).toBe(5);
    expect(patched.body.conflicts.map((c) => [c.kind, c.planId, c.fields])).toEqual([
      ['overwrites-manual-change', plan.id, ['rolloutPercentage']],
      ['overwrites-manual-change', plan.id, ['rolloutPercentage']],
      ['overwrites-manual-change', plan.id, ['rolloutPercentage']],
    ]);
    const targeting = await t.request<{ conflicts?: Conflict[] }>('PATCH', `/api/admin/flags/${key}/targeting`, {
      body: { rules: [] },
    });
    expect(targeting.status).toBe(200);
    expect(targeting.body).not.toHaveProperty('conflicts');
  });

  it('in a protected environment a plan is a change request; approval creates it', async () => {
    const key = await newFlag();
    const bobToken = createdTokenSchema.parse(
      expectStatus(
        await answer(apiClient(t).POST('/api/admin/tokens', { body: { name: `bob-${key}`, role: 'admin' } })),
        201,
      ),
    ).secret;
    expect(
      (await t.request('PATCH', '/api/admin/environments/development', { body: { protected: true } })).status,
    ).toBe(200);
    const requested = await t.request<Created>('POST', `/api/admin/flags/${key}/plans?environment=development`, {
      body: threeSteps(),
    });
    expect(requested.status).toBe(202);
    expect(requested.body.changeRequest).toMatchObject({ status: 'pending', change: { kind: 'plan.create' } });
    expect(await countRows('rollout_plans', key)).toBe(0);
    const approved = await t.request<ChangeRequest>(
      'POST',
      `/api/admin/change-requests/${requested.body.changeRequest.id}/approve`,
      { token: bobToken },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('applied');
    const plans = (await t.request<Plan[]>('GET', `/api/admin/flags/${key}/plans?environment=development`)).body;
    expect(plans).toHaveLength(1);
    expect(plans[0]?.steps).toHaveLength(3);
  });

  it('a plan whose steps are all cancelled one by one is cancelled, not completed', async () => {
    const key = await newFlag();
    const { plan } = (await createPlan(key, threeSteps())).body;
    for (const step of plan.steps) {
      const cancelled = await t.request<Schedule>('DELETE', `/api/admin/flags/${key}/schedule/${step.id}`);
      expect(cancelled.status).toBe(200);
    }
    expect((await getPlan(key, plan.id)).status).toBe('cancelled');
    expect(await flagState(key)).toMatchObject({ enabled: false, rolloutPercentage: 0 });
  });
});
