import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlaglineApiError } from '../src/errors';
import { startTestServer, type TestServer } from './helpers/flagline';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('admin client: rollout plans and conflicts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await server.admin.createFlag({ key: 'sdk-plan' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates, lists, gets, pauses, resumes and cancels a plan', async () => {
    const { admin } = server;
    const steps = [
      { scheduledAt: inMinutes(10), updates: { enabled: true, rolloutPercentage: 10 } },
      { scheduledAt: inMinutes(20), updates: { rolloutPercentage: 100 } },
    ];
    const created = await admin.createPlan('sdk-plan', { name: 'ramp', steps });
    expect(created.conflicts).toEqual([]);
    expect(created.plan.steps.map((step) => step.planStep)).toEqual([0, 1]);
    expect((await admin.listPlans('sdk-plan')).map((plan) => plan.id)).toEqual([created.plan.id]);
    expect((await admin.getPlan('sdk-plan', created.plan.id)).name).toBe('ramp');
    expect((await admin.pausePlan('sdk-plan', created.plan.id)).plan.status).toBe('paused');
    expect((await admin.resumePlan('sdk-plan', created.plan.id)).plan.status).toBe('active');
    expect((await admin.cancelPlan('sdk-plan', created.plan.id)).plan.status).toBe('cancelled');
  });

  it('surfaces conflicts, and throws SCHEDULE_CONFLICT with onConflict reject', async () => {
    const { admin } = server;
    await admin.createSchedule('sdk-plan', { scheduledAt: inMinutes(30), updates: { enabled: false } });
    const schedule = await admin.createSchedule('sdk-plan', { scheduledAt: inMinutes(40), updates: { enabled: true } });
    expect(schedule.conflicts?.map((conflict) => conflict.kind)).toEqual(['pending-schedule']);
    const patched = await admin.updateFlag('sdk-plan', { enabled: true });
    expect(patched.conflicts).toHaveLength(2);
    const rejected = await admin
      .createPlan(
        'sdk-plan',
        { steps: [{ scheduledAt: inMinutes(35), updates: { enabled: true } }] },
        { onConflict: 'reject' },
      )
      .catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(FlaglineApiError);
    expect((rejected as FlaglineApiError).code).toBe('SCHEDULE_CONFLICT');
    expect((rejected as FlaglineApiError).details?.conflicts).toHaveLength(2);
    expect(await admin.listPlans('sdk-plan', { status: 'active' })).toEqual([]);
  });
});
