import { type ChangeRequest, createdTokenSchema, type EnvironmentExport, type ImportResult } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditMark, auditSince, expectError, expectStatus } from '../helpers/http';
import fixture from '../import/fixtures/unleash-6.10.1-export.json';

type Accepted = { changeRequest: ChangeRequest };
type FlagBody = { enabled: boolean; rolloutPercentage: number };

const unleashBody = { ...fixture.export, segments: fixture.segments };

/**
 * Writes that reach more than one flag environment at once are guarded writes like any other: an import (so four eyes
 * cannot be side-stepped by exporting development and importing it over production), and a change to a flag itself —
 * its variants or its deletion — which reaches every environment, the protected one too.
 */
describe.each(testBackends())('environment-wide writes with a protected environment (%s)', (backend) => {
  let t: TestApp;
  /** A second admin: decides what `t.tokens.admin` requests. */
  let bob: string;

  const flag = async (key: string, environment = 'production') =>
    (await t.request<FlagBody>('GET', `/api/admin/flags/${key}?environment=${environment}`)).body;
  const decide = (id: string, decision: 'approve' | 'reject', token: string) =>
    t.request<ChangeRequest>('POST', `/api/admin/change-requests/${id}/${decision}`, { token });
  const exportOf = async (environment: string) =>
    expectStatus(await t.request<EnvironmentExport>('GET', `/api/admin/export?environment=${environment}`), 200);

  beforeAll(async () => {
    t = await createTestApp(backend);
    const created = await answer(apiClient(t).POST('/api/admin/tokens', { body: { name: 'bob', role: 'admin' } }));
    bob = createdTokenSchema.parse(expectStatus(created, 201)).secret;
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'promoted' } })), 201);
    expectStatus(
      await t.request('PATCH', '/api/admin/flags/promoted?environment=development', {
        body: { enabled: true, rolloutPercentage: 30 },
      }),
      200,
    );
    expectStatus(await t.request('PATCH', '/api/admin/environments/production', { body: { protected: true } }), 200);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('promoting development over production waits for a second admin, with its diff, then applies whole', async () => {
    const body = await exportOf('development');
    const mark = await auditMark(t);
    const response = await t.request<Accepted>('POST', '/api/admin/import?environment=production', { body });
    expect(response.status).toBe(202);
    const request = response.body.changeRequest;
    expect(request).toMatchObject({
      status: 'pending',
      environment: 'production',
      flagKey: null,
      change: { kind: 'config.import', source: 'flagline', onExisting: 'fail' },
    });
    expect(request.preview.map((event) => event.type)).toContain('config.imported');
    expect(request.preview).toContainEqual(
      expect.objectContaining({
        type: 'flag.targeting_updated',
        after: expect.objectContaining({ enabled: true, rolloutPercentage: 30 }),
      }),
    );
    // Nothing changed yet; only the request is on record.
    expect(await flag('promoted')).toMatchObject({ enabled: false, rolloutPercentage: 0 });
    expect((await auditSince(t, mark)).map((event) => event.type)).toEqual(['change_request.requested']);

    expect((await decide(request.id, 'approve', t.tokens.admin)).status).toBe(403);
    const approved = expectStatus(await decide(request.id, 'approve', bob), 200);
    expect(approved.status).toBe('applied');
    expect(await flag('promoted')).toMatchObject({ enabled: true, rolloutPercentage: 30 });
    const applied = (await auditSince(t, mark)).filter((event) => event.type === 'config.imported');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.actor.type).toBe('token');
  });

  it('a dry run still answers at once, and stores no request', async () => {
    const mark = await auditMark(t);
    const result = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import/unleash?environment=production&dryRun=true', {
        body: unleashBody,
      }),
      200,
    );
    expect(result.dryRun).toBe(true);
    expect(result.flags.length).toBe(fixture.export.features.length);
    expect(await auditSince(t, mark)).toEqual([]);
  });

  it("Unleash's import is a request too; rejecting it creates nothing", async () => {
    const response = await t.request<Accepted>('POST', '/api/admin/import/unleash?environment=production', {
      body: unleashBody,
    });
    expect(response.status).toBe(202);
    const request = response.body.changeRequest;
    expect(request.change).toMatchObject({ kind: 'config.import', source: 'unleash' });
    const firstKey = fixture.export.features[0]?.name;
    expectError(await t.request('GET', `/api/admin/flags/${firstKey}?environment=production`), 404, 'NOT_FOUND');
    expect(expectStatus(await decide(request.id, 'reject', bob), 200).status).toBe('rejected');
    expectError(await t.request('GET', `/api/admin/flags/${firstKey}?environment=production`), 404, 'NOT_FOUND');
  });

  it('a bad import is refused at once, naming the field, and stores nothing', async () => {
    const body = await exportOf('development');
    const broken = {
      ...body,
      flags: body.flags.map((item) => ({
        ...item,
        targeting: {
          ...item.targeting,
          rules: [{ id: 'r1', segments: ['no-such-segment'], serve: { variant: 'on' } }],
        },
      })),
    };
    const mark = await auditMark(t);
    const refused = await t.request('POST', '/api/admin/import?environment=production', { body: broken });
    expectError(refused, 400, 'VALIDATION_FAILED');
    expect(await auditSince(t, mark)).toEqual([]);
  });

  it('deleting a flag waits for a second admin; approving deletes it everywhere', async () => {
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'to-delete' } })), 201);
    const response = await t.request<Accepted>('DELETE', '/api/admin/flags/to-delete');
    expect(response.status).toBe(202);
    const request = response.body.changeRequest;
    expect(request).toMatchObject({ environment: 'production', flagKey: 'to-delete', change: { kind: 'flag.delete' } });
    expect(request.preview.map((event) => event.type)).toEqual(['flag.deleted']);
    expectStatus(await t.request('GET', '/api/admin/flags/to-delete?environment=development'), 200);
    expect(expectStatus(await decide(request.id, 'approve', bob), 200).status).toBe('applied');
    expectError(await t.request('GET', '/api/admin/flags/to-delete?environment=development'), 404, 'NOT_FOUND');
  });

  it("a flag's variants are guarded; a change that records nothing is no request", async () => {
    expectStatus(
      await answer(
        apiClient(t).POST('/api/admin/flags', {
          body: {
            key: 'colours',
            type: 'string',
            variants: [
              { key: 'red', value: 'red' },
              { key: 'blue', value: 'blue' },
            ],
          },
        }),
      ),
      201,
    );
    const variants = [
      { key: 'red', value: 'crimson' },
      { key: 'blue', value: 'blue' },
    ];
    const response = await t.request<Accepted>('PUT', '/api/admin/flags/colours/variants', { body: { variants } });
    expect(response.status).toBe(202);
    const request = response.body.changeRequest;
    expect(request.change).toEqual({ kind: 'flag.variants', body: { variants } });
    const before = await t.request<{ variants: unknown[] }>(
      'GET',
      '/api/admin/flags/colours/targeting?environment=development',
    );
    expect(before.body.variants).toContainEqual({ key: 'red', value: 'red' });
    expect(expectStatus(await decide(request.id, 'approve', bob), 200).status).toBe('applied');
    const after = await t.request<{ variants: unknown[] }>(
      'GET',
      '/api/admin/flags/colours/targeting?environment=development',
    );
    expect(after.body.variants).toContainEqual({ key: 'red', value: 'crimson' });
    // The same variants again change nothing: answered at once, nothing to approve.
    const unchanged = await t.request<{ variants: unknown[] }>('PUT', '/api/admin/flags/colours/variants', {
      body: { variants },
    });
    expect(unchanged.status).toBe(200);
  });

  it('with no environment protected, flag-level writes are made at once as before', async () => {
    const stillProtected = await t.request<Accepted>('PATCH', '/api/admin/environments/production', {
      body: { protected: false },
    });
    expect(stillProtected.status).toBe(202);
    expectStatus(await decide(stillProtected.body.changeRequest.id, 'approve', bob), 200);
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'free-delete' } })), 201);
    expect((await t.request('DELETE', '/api/admin/flags/free-delete')).status).toBe(204);
  });
});
