import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from './helpers/api-client';
import { createTestApp, type TestApp } from './helpers/app';
import { testBackends } from './helpers/database';

describe.each(testBackends())('smoke (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates, rolls out and evaluates a flag', async () => {
    const api = apiClient(t);
    const created = await answer(api.POST('/api/admin/flags', { body: { key: 'new-checkout', description: 'x' } }));
    expect(created.status).toBe(201);
    const updated = await answer(
      api.PATCH('/api/admin/flags/{flagKey}', {
        params: { path: { flagKey: 'new-checkout' } },
        body: { enabled: true, rolloutPercentage: 100 },
      }),
    );
    expect(updated.status).toBe(200);
    const evaluated = await answer(
      apiClient(t, t.tokens.client).GET('/api/config/flags', { params: { query: { userId: 'u1' } } }),
    );
    expect(evaluated.body).toEqual({ 'new-checkout': true });
    const audit = await answer(api.GET('/api/admin/audit', { params: { query: { flagKey: 'new-checkout' } } }));
    expect(audit.body.items.map((item) => item.type)).toEqual(['flag.updated', 'flag.created']);
  });
});
