import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const created = await t.request('POST', '/api/admin/flags', { body: { key: 'new-checkout', description: 'x' } });
    expect(created.status).toBe(201);
    const updated = await t.request('PATCH', '/api/admin/flags/new-checkout', {
      body: { enabled: true, rolloutPercentage: 100 },
    });
    expect(updated.status).toBe(200);
    const evaluated = await t.request('GET', '/api/config/flags?userId=u1', { token: t.tokens.client });
    expect(evaluated.body).toEqual({ 'new-checkout': true });
    const audit = await t.request<{ items: { type: string }[] }>('GET', '/api/admin/audit?flagKey=new-checkout');
    expect(audit.body.items.map((item) => item.type)).toEqual(['flag.updated', 'flag.created']);
  });
});
