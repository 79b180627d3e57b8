import { type AuditEvent, type ChangeRequest, createdTokenSchema, type Environment } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireChangeRequests } from '../../src/change-requests/change-request-service';
import { unitOfWork } from '../../src/http/deps';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, expectStatus } from '../helpers/http';

type Accepted = { changeRequest: ChangeRequest };
type FlagBody = { enabled: boolean; rolloutPercentage: number; version: number };

describe.each(testBackends())('four-eyes approval in a protected environment (%s)', (backend) => {
  let t: TestApp;
  /** A second admin: approves what `t.tokens.admin` (alice) requests. */
  let bob: string;

  const flag = async (key: string, environment = 'production') =>
    (await t.request<FlagBody>('GET', `/api/admin/flags/${key}?environment=${environment}`)).body;
  const patchFlag = (key: string, body: Record<string, unknown>, token = t.tokens.admin, environment = 'production') =>
    t.request<Accepted & FlagBody>('PATCH', `/api/admin/flags/${key}?environment=${environment}`, { body, token });
  const decide = (id: string, decision: 'approve' | 'reject', token: string, body?: Record<string, unknown>) =>
    t.request<ChangeRequest & { error: string; details: { changeRequest: ChangeRequest } }>(
      'POST',
      `/api/admin/change-requests/${id}/${decision}`,
      { token, ...(body ? { body } : {}) },
    );
  const requested = async (response: { status: number; body: Accepted }) => {
    expect(response.status).toBe(202);
    expect(response.body.changeRequest.status).toBe('pending');
    return response.body.changeRequest;
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    const created = await answer(apiClient(t).POST('/api/admin/tokens', { body: { name: 'bob', role: 'admin' } }));
    bob = createdTokenSchema.parse(expectStatus(created, 201)).secret;
    for (const key of ['cr-flag', 'cr-stale', 'cr-targeting', 'cr-override', 'cr-schedule']) {
      expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key } })), 201);
    }
    const protect = await t.request<Environment>('PATCH', '/api/admin/environments/production', {
      body: { protected: true },
    });
    expect(protect.status).toBe(200);
    expect(protect.body.protected).toBe(true);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('protecting is audited, and an unprotected environment still changes at once', async () => {
    const [event] = await auditEvents(t, { type: 'environment.updated', environment: 'production' });
    expect(event?.after).toEqual({ name: 'Production', protected: true });
    const direct = await patchFlag('cr-flag', { enabled: true }, t.tokens.admin, 'development');
    expect(direct.status).toBe(200);
    expect(direct.body.enabled).toBe(true);
  });

  it('a change becomes a pending request with its diff; nothing changes until another admin approves', async () => {
    const request = await requested(await patchFlag('cr-flag', { enabled: true, rolloutPercentage: 40 }));
    expect(request).toMatchObject({
      environment: 'production',
      flagKey: 'cr-flag',
      change: { kind: 'flag.update', body: { enabled: true, rolloutPercentage: 40 }, expectedVersion: 1 },
      requestedBy: { type: 'token' },
    });
    expect(request.preview).toEqual([
      expect.objectContaining({
        type: 'flag.updated',
        before: expect.objectContaining({ enabled: false, rolloutPercentage: 0 }),
        after: expect.objectContaining({ enabled: true, rolloutPercentage: 40 }),
      }),
    ]);
    expect(await flag('cr-flag')).toMatchObject({ enabled: false, rolloutPercentage: 0 });
    const inbox = await t.request<{ items: ChangeRequest[] }>('GET', '/api/admin/change-requests?status=pending');
    expect(inbox.body.items.map((item) => item.id)).toContain(request.id);

    // Four eyes: the requester cannot approve, nor can a viewer.
    const self = await decide(request.id, 'approve', t.tokens.admin);
    expect(self.status).toBe(403);
    expect((await decide(request.id, 'approve', t.tokens.viewer)).status).toBe(403);
    expect(await flag('cr-flag')).toMatchObject({ enabled: false });

    const approved = await decide(request.id, 'approve', bob, { comment: 'looks right' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'applied',
      decidedBy: { type: 'token' },
      decisionComment: 'looks right',
    });
    expect(approved.body.decidedBy?.id).not.toBe(request.requestedBy.id);
    expect(await flag('cr-flag')).toMatchObject({ enabled: true, rolloutPercentage: 40 });
    // Once decided, it cannot be decided again.
    expect((await decide(request.id, 'approve', bob)).status).toBe(409);

    const events = await auditEvents(t, { flagKey: 'cr-flag', environment: 'production' });
    const types = events.map((event: AuditEvent) => event.type).reverse();
    expect(types).toEqual([
      'change_request.requested',
      'change_request.approved',
      'flag.updated',
      'change_request.applied',
    ]);
    const update = events.find((event) => event.type === 'flag.updated');
    expect(update?.actor.id).toBe(approved.body.decidedBy?.id);
  });

  it('a rejected request changes nothing and can no longer be approved', async () => {
    const body = { fallthrough: { variant: 'on' } };
    const response = await t.request<Accepted>(
      'PATCH',
      '/api/admin/flags/cr-targeting/targeting?environment=production',
      {
        body,
      },
    );
    const request = await requested(response);
    const rejected = await decide(request.id, 'reject', bob, { comment: 'not today' });
    expect(rejected.body).toMatchObject({ status: 'rejected', decisionComment: 'not today' });
    expect((await decide(request.id, 'approve', bob)).status).toBe(409);
    const targeting = await t.request<{ targeting: { fallthrough: unknown } }>(
      'GET',
      '/api/admin/flags/cr-targeting/targeting?environment=production',
    );
    expect(targeting.body.targeting.fallthrough).toBeNull();
    const [event] = await auditEvents(t, { type: 'change_request.rejected', flagKey: 'cr-targeting' });
    expect(event?.data).toMatchObject({ changeRequestId: request.id, comment: 'not today' });
  });

  it('a request approved after the flag moved on fails whole and says why', async () => {
    const first = await requested(await patchFlag('cr-stale', { rolloutPercentage: 10 }));
    const second = await requested(await patchFlag('cr-stale', { rolloutPercentage: 90 }));
    expect((await decide(first.id, 'approve', bob)).status).toBe(200);
    const stale = await decide(second.id, 'approve', bob);
    expect(stale.status).toBe(409);
    expect(stale.body.details.changeRequest).toMatchObject({ id: second.id, status: 'failed' });
    expect(stale.body.details.changeRequest.error).toMatch(/version/);
    expect(await flag('cr-stale')).toMatchObject({ rolloutPercentage: 10 });
    const [failed] = await auditEvents(t, { type: 'change_request.failed', flagKey: 'cr-stale' });
    expect(failed?.data).toMatchObject({ changeRequestId: second.id });
  });

  it('an invalid change is refused at once (400 naming the field), not stored as a request', async () => {
    const before = await t.request<{ items: ChangeRequest[] }>('GET', '/api/admin/change-requests?flagKey=cr-flag');
    const response = await t.request<{ error: string; details: { fields: Record<string, string> } }>(
      'PATCH',
      '/api/admin/flags/cr-flag/targeting?environment=production',
      { body: { fallthrough: { variant: 'no-such-variant' } } },
    );
    expect(response.status).toBe(400);
    expect(Object.keys(response.body.details.fields)).toContain('fallthrough.variant');
    const after = await t.request<{ items: ChangeRequest[] }>('GET', '/api/admin/change-requests?flagKey=cr-flag');
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('pages the list with a cursor, and answers a forged cursor with a 400', async () => {
    const first = await t.request<{ items: ChangeRequest[]; nextCursor: string | null }>(
      'GET',
      '/api/admin/change-requests?limit=1',
    );
    expect(first.body.items).toHaveLength(1);
    const next = await t.request<{ items: ChangeRequest[] }>(
      'GET',
      `/api/admin/change-requests?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(next.body.items[0]?.id).not.toBe(first.body.items[0]?.id);
    const forged = Buffer.from(JSON.stringify({ t: '10000-01-01T00:00:00Z', i: 'not-a-uuid' })).toString('base64url');
    const bad = await t.request<{ details: { fields: Record<string, string> } }>(
      'GET',
      `/api/admin/change-requests?cursor=${forged}`,
    );
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.details.fields)).toEqual(['cursor']);
  });

  it('overrides: set and removal are requests too', async () => {
    const set = await requested(
      await t.request<Accepted>('POST', '/api/admin/flags/cr-override/users?environment=production', {
        body: { userId: 'u-1', overrideType: 'include' },
      }),
    );
    expect((await decide(set.id, 'approve', bob)).status).toBe(200);
    const list = await t.request<{ include: { userId: string }[] }>(
      'GET',
      '/api/admin/flags/cr-override/users?environment=production',
    );
    expect(JSON.stringify(list.body)).toContain('u-1');
    const removal = await requested(
      await t.request<Accepted>('DELETE', '/api/admin/flags/cr-override/users/u-1?environment=production'),
    );
    expect(removal.change).toEqual({ kind: 'override.remove', userId: 'u-1' });
    expect((await decide(removal.id, 'approve', bob)).status).toBe(200);
    const after = await t.request('GET', '/api/admin/flags/cr-override/users?environment=production');
    expect(JSON.stringify(after.body)).not.toContain('u-1');
  });

  it('an approved schedule is armed; an unapproved one expires when its time passes and never applies', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const armed = await requested(
      await t.request<Accepted>('POST', '/api/admin/flags/cr-schedule/schedule?environment=production', {
        body: { scheduledAt: inAnHour, updates: { enabled: true } },
      }),
    );
    expect(armed.expiresAt).toBe(inAnHour);
    const none = await t.request<unknown[]>('GET', '/api/admin/flags/cr-schedule/schedule?environment=production');
    expect(none.body).toEqual([]);
    expect((await decide(armed.id, 'approve', bob)).status).toBe(200);
    const pending = await t.request<{ status: string; scheduledAt: string }[]>(
      'GET',
      '/api/admin/flags/cr-schedule/schedule?environment=production',
    );
    expect(pending.body).toEqual([expect.objectContaining({ status: 'pending', scheduledAt: inAnHour })]);

    const soon = new Date(Date.now() + 1_500).toISOString();
    const lapsing = await requested(
      await t.request<Accepted>('POST', '/api/admin/flags/cr-schedule/schedule?environment=production', {
        body: { scheduledAt: soon, updates: { rolloutPercentage: 50 } },
      }),
    );
    const lateApproval = await requested(
      await t.request<Accepted>('POST', '/api/admin/flags/cr-schedule/schedule?environment=production', {
        body: { scheduledAt: soon, updates: { rolloutPercentage: 60 } },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    // Approving after the time passed: refused, and the request is expired.
    const late = await decide(lateApproval.id, 'approve', bob);
    expect(late.status).toBe(409);
    expect(late.body.details.changeRequest.status).toBe('expired');
    // Nobody acted on the other: the sweep expires it.
    expect(await expireChangeRequests(unitOfWork(t.deps))).toBe(1);
    const expired = await t.request<ChangeRequest>('GET', `/api/admin/change-requests/${lapsing.id}`);
    expect(expired.body).toMatchObject({ status: 'expired', decidedBy: null });
    const [event] = await auditEvents(t, { type: 'change_request.expired', flagKey: 'cr-schedule' });
    expect(event?.actor).toMatchObject({ type: 'system' });
    expect(await flag('cr-schedule')).toMatchObject({ rolloutPercentage: 0 });
  });

  it('turning protection off is itself a request another admin approves', async () => {
    const off = await requested(
      await t.request<Accepted>('PATCH', '/api/admin/environments/production', { body: { protected: false } }),
    );
    expect(off.change).toEqual({ kind: 'environment.unprotect' });
    const environments = await t.request<{ items: Environment[] }>('GET', '/api/admin/environments');
    expect(environments.body.items.find((item) => item.key === 'production')?.protected).toBe(true);
    expect((await decide(off.id, 'approve', t.tokens.admin)).status).toBe(403);
    expect((await decide(off.id, 'approve', bob)).status).toBe(200);
    const direct = await patchFlag('cr-flag', { rolloutPercentage: 5 });
    expect(direct.status).toBe(200);
    expect(direct.body.rolloutPercentage).toBe(5);
  });
});
