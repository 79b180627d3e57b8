import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluateFastPath } from '../src/delivery/evaluate-fast-path';
import { createTestApp, type TestApp } from './helpers/app';
import { testBackends } from './helpers/database';

describe.each(testBackends())('the evaluation fast path answers exactly as the Hono route (%s)', (backend) => {
  let t: TestApp;
  let server: Server;
  let url: string;
  let fallbacks = 0;

  beforeAll(async () => {
    t = await createTestApp(backend);
    for (let i = 0; i < 20; i++) {
      const key = `fast-${i}`;
      await t.request('POST', '/api/admin/flags', { body: { key } });
      await t.request('PATCH', `/api/admin/flags/${key}`, { body: { enabled: i % 4 !== 0, rolloutPercentage: i * 5 } });
    }
    await t.request('POST', '/api/admin/flags/fast-3/users', { body: { userId: 'user-7', overrideType: 'exclude' } });
    await t.request('POST', '/api/admin/flags/fast-1/users', { body: { userId: 'user-7', overrideType: 'include' } });
    const fastPath = createEvaluateFastPath(t.deps.authenticator, t.deps.snapshot);
    server = createServer((request, response) => {
      if (fastPath(request, response)) return;
      fallbacks++;
      response.writeHead(599).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
  });

  it('gives the same body for known tokens, for many users, anonymous callers and both environments', async () => {
    for (const token of [t.tokens.client, t.tokens.developmentClient, t.tokens.admin]) {
      // The route verifies the token first; from then on the fast path may answer.
      await t.request('GET', '/api/config/flags?userId=warm-up', { token });
      for (const query of [
        '',
        '?userId=',
        ...Array.from({ length: 40 }, (_, i) => `?userId=user-${i}`),
        '?userId=u&environment=development',
      ]) {
        const reference = await t.request<Record<string, boolean>>('GET', `/api/config/flags${query}`, { token });
        const response = await fetch(`${url}/api/config/flags${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(response.headers.get('x-request-id')).toBeTruthy();
        expect(await response.json()).toEqual(reference.body);
      }
    }
    expect(fallbacks).toBe(0);
  });

  it('leaves unknown tokens, bad input and other paths to the route', async () => {
    const before = fallbacks;
    const probes: [string, string | undefined][] = [
      ['/api/config/flags?userId=u', 'fl_never_seen_token'],
      ['/api/config/flags?userId=u', undefined],
      [`/api/config/flags?environment=${encodeURIComponent('Not An Env')}`, t.tokens.admin],
      [`/api/config/flags?userId=${'x'.repeat(256)}`, t.tokens.admin],
      ['/api/config/flags?environment=nowhere', t.tokens.admin],
      ['/api/config/flags/fast-1', t.tokens.admin],
    ];
    for (const [path, token] of probes) {
      const response = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(response.status).toBe(599);
    }
    expect(fallbacks - before).toBe(probes.length);
  });
});
