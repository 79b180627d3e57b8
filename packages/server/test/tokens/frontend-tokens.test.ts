import type { CreatedToken, Segment, Token } from '@flagline/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { expectError, expectFieldError, expectStatus } from '../helpers/http';
import { writeSegment, writeTypedFlag } from '../helpers/targeting';

/** Strings that exist only in the configuration: a frontend token must never receive any of them. */
const SECRETS = {
  includedUser: 'insider-alice@example.com',
  excludedUser: 'excluded-bob@example.com',
  pinnedUser: 'pinned-carol@example.com',
  segmentKey: 'secret-beta-segment',
  segmentValue: 'SEGMENT-ONLY-VALUE',
  ruleId: 'secret-rule-id',
  ruleValue: 'RULE-ONLY-VALUE',
};
const APP_ORIGIN = 'https://app.example.com';

const SEGMENT: Segment = {
  key: SECRETS.segmentKey,
  name: 'Beta testers',
  description: 'who is in the beta',
  constraints: [{ attribute: 'team', operator: 'IN', values: [SECRETS.segmentValue] }],
};

describe.each(testBackends())('frontend and server tokens (%s)', (backend) => {
  const t = useTestApp(backend);

  const createToken = (body: Record<string, unknown>) =>
    t.request<CreatedToken>('POST', '/api/admin/tokens', { body: { name: 'token', ...body } });

  async function frontendToken(allowedOrigins: string[] = [APP_ORIGIN]): Promise<string> {
    return expectStatus(await createToken({ role: 'frontend', environment: 'production', allowedOrigins }), 201).secret;
  }

  /** A stream's status and, when it opened, what it sends first (then it is closed). */
  async function firstEvents(path: string, token: string): Promise<{ status: number; body: unknown }> {
    const response = await t.app.request(path, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200 || !response.body) return { status: response.status, body: await response.text() };
    const reader = response.body.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    return { status: 200, body: new TextDecoder().decode(value) };
  }

  async function seedSecrets(): Promise<void> {
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'beta-checkout' } }), 201);
    expectStatus(
      await t.request('PATCH', '/api/admin/flags/beta-checkout', { body: { enabled: true, rolloutPercentage: 0 } }),
      200,
    );
    for (const [userId, overrideType] of [
      [SECRETS.includedUser, 'include'],
      [SECRETS.excludedUser, 'exclude'],
    ] as const) {
      expectStatus(
        await t.request('POST', '/api/admin/flags/beta-checkout/users', { body: { userId, overrideType } }),
        201,
      );
    }
    await writeSegment(t, SEGMENT);
    await writeTypedFlag(t, {
      key: 'checkout-theme',
      type: 'string',
      variants: [
        { key: 'blue', value: 'blue' },
        { key: 'classic', value: 'classic' },
      ],
      targeting: {
        enabled: true,
        offVariant: 'classic',
        rules: [
          {
            id: SECRETS.ruleId,
            constraints: [{ attribute: 'plan', operator: 'IN', values: [SECRETS.ruleValue] }],
            segments: [SECRETS.segmentKey],
            serve: { variant: 'blue' },
          },
        ],
        fallthrough: { variant: 'classic' },
      },
      pins: { [SECRETS.pinnedUser]: 'blue' },
    });
  }

  describe('creating tokens', () => {
    it('makes server and frontend tokens; client stays accepted and is answered as stored', async () => {
      const server = expectStatus(await createToken({ role: 'server', environment: 'production' }), 201);
      expect(server).toMatchObject({ role: 'server', environment: 'production', allowedOrigins: null });
      const client = expectStatus(await createToken({ role: 'client', environment: 'production' }), 201);
      expect(client).toMatchObject({ role: 'client', allowedOrigins: null });
      const frontend = expectStatus(
        await createToken({
          role: 'frontend',
          environment: 'production',
          allowedOrigins: [APP_ORIGIN, 'http://localhost:5173', APP_ORIGIN],
        }),
        201,
      );
      expect(frontend).toMatchObject({
        role: 'frontend',
        environment: 'production',
        allowedOrigins: [APP_ORIGIN, 'http://localhost:5173'],
      });
      const listed = expectStatus(await t.request<{ items: Token[] }>('GET', '/api/admin/tokens'), 200).items;
      expect(listed.find((token) => token.id === client.id)?.role).toBe('client');
      expect(listed.find((token) => token.id === frontend.id)?.allowedOrigins).toEqual([
        APP_ORIGIN,
        'http://localhost:5173',
      ]);
      // Both names of the local-evaluation token read the ruleset.
      for (const secret of [server.secret, client.secret]) {
        expect((await t.request('GET', '/api/client/flags', { token: secret })).status).toBe(200);
      }
    });

    it.each([
      [{ role: 'frontend', environment: 'production' }, 'allowedOrigins'],
      [{ role: 'frontend', environment: 'production', allowedOrigins: [] }, 'allowedOrigins'],
      [
        { role: 'frontend', environment: 'production', allowedOrigins: ['https://app.example.com/'] },
        'allowedOrigins.0',
      ],
      [{ role: 'frontend', environment: 'production', allowedOrigins: ['app.example.com'] }, 'allowedOrigins.0'],
      [
        { role: 'frontend', environment: 'production', allowedOrigins: ['ftp://files.example.com'] },
        'allowedOrigins.0',
      ],
      [
        { role: 'frontend', environment: 'production', allowedOrigins: ['https://a.example.com/path'] },
        'allowedOrigins.0',
      ],
      [{ role: 'frontend', allowedOrigins: [APP_ORIGIN] }, 'environment'],
      [{ role: 'server' }, 'environment'],
      [{ role: 'server', environment: 'production', allowedOrigins: [APP_ORIGIN] }, 'allowedOrigins'],
      [{ role: 'viewer', allowedOrigins: [APP_ORIGIN] }, 'allowedOrigins'],
    ])('refuses %j naming %s', async (body, field) => {
      expectFieldError(await createToken(body), field);
    });

    it('accepts "*" and ports in allowed origins', async () => {
      const token = expectStatus(
        await createToken({
          role: 'frontend',
          environment: 'production',
          allowedOrigins: ['*', 'https://shop.example.com:8443'],
        }),
        201,
      );
      expect(token.allowedOrigins).toEqual(['*', 'https://shop.example.com:8443']);
    });
  });

  describe('what a frontend token can read', () => {
    beforeAll(seedSecrets);

    it('every route in the OpenAPI document answers a frontend token 403, or evaluated values without any rule, override list, segment or other user', async () => {
      const frontend = await frontendToken();
      const spec = expectStatus(
        await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json', { token: null }),
        200,
      );
      const ids = { flagKey: 'checkout-theme', key: 'checkout-theme', userId: SECRETS.includedUser };
      const allowed: string[] = [];
      let walked = 0;
      for (const [template, operations] of Object.entries(spec.paths)) {
        for (const method of Object.keys(operations)) {
          const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
            encodeURIComponent(ids[name as keyof typeof ids] ?? '00000000-0000-4000-8000-000000000000'),
          );
          const withQuery = path === '/api/config/flags' ? `${path}?userId=visitor-1` : path;
          const response = template.endsWith('/stream')
            ? await firstEvents(withQuery, frontend)
            : await t.request(method.toUpperCase(), withQuery, {
                token: frontend,
                ...(method === 'get' ? {} : { body: { context: { targetingKey: 'visitor-1', plan: 'free' } } }),
              });
          walked++;
          const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
          for (const secret of Object.values(SECRETS)) {
            expect(text, `${method} ${template} leaks ${secret}`).not.toContain(secret);
          }
          for (const word of ['"rules"', '"overrides"', '"segments"', '"include"', '"exclude"', '"constraints"']) {
            expect(text, `${method} ${template} carries ${word}`).not.toContain(word);
          }
          if (response.status !== 403) {
            expect(response.status, `${method} ${template} answered ${text}`).toBeLessThan(300);
            allowed.push(`${method.toUpperCase()} ${template}`);
          }
        }
      }
      expect(walked).toBeGreaterThan(40);
      // Exactly the evaluation routes (and who the token is, for relays) answer; everything else (admin, ruleset, stream, flag configuration) is 403.
      expect(allowed.sort()).toEqual([
        'GET /api/config/flags',
        'GET /api/config/principal',
        'GET /api/config/stream',
        'GET /ofrep/v1/configuration',
        'POST /ofrep/v1/evaluate/flags',
        'POST /ofrep/v1/evaluate/flags/{key}',
      ]);
    });

    it('the ruleset, the server stream, flag configuration and admin routes are 403 for a frontend token', async () => {
      const frontend = await frontendToken();
      for (const [method, path] of [
        ['GET', '/api/client/flags'],
        ['GET', '/api/client/stream'],
        ['GET', '/api/config/flags/beta-checkout'],
        ['GET', '/api/admin/flags'],
        ['GET', '/api/admin/tokens'],
        ['POST', '/api/admin/flags'],
      ] as const) {
        const body = method === 'POST' ? { body: { key: 'x' } } : {};
        expectError(await t.request(method, path, { token: frontend, ...body }), 403, 'FORBIDDEN');
      }
    });

    it('evaluates for the context it sends: the included user sees their value, without metadata naming rules', async () => {
      const frontend = await frontendToken();
      const single = expectStatus(
        await t.request('POST', '/ofrep/v1/evaluate/flags/beta-checkout', {
          token: frontend,
          body: { context: { targetingKey: SECRETS.includedUser } },
        }),
        200,
      );
      expect(single).toEqual({ key: 'beta-checkout', value: true, reason: 'TARGETING_MATCH', variant: 'on' });
      const bulk = await t.request<{ flags: { key: string; value: unknown; metadata?: unknown }[] }>(
        'POST',
        '/ofrep/v1/evaluate/flags',
        { token: frontend, body: { context: { targetingKey: 'visitor-2', plan: SECRETS.ruleValue, team: 'x' } } },
      );
      expect(bulk.status).toBe(200);
      expect(bulk.body.flags.every((flag) => flag.metadata === undefined)).toBe(true);
      // A server token keeps the full answer, metadata included, and a different entity tag.
      const server = await t.request<{ flags: { metadata?: unknown }[] }>('POST', '/ofrep/v1/evaluate/flags', {
        token: t.tokens.client,
        body: { context: { targetingKey: 'visitor-2', plan: SECRETS.ruleValue, team: 'x' } },
      });
      expect(server.body.flags.some((flag) => flag.metadata !== undefined)).toBe(true);
      expect(server.headers.get('etag')).not.toBe(bulk.headers.get('etag'));
      const again = await t.request('POST', '/ofrep/v1/evaluate/flags', {
        token: frontend,
        body: { context: { targetingKey: 'visitor-2', plan: SECRETS.ruleValue, team: 'x' } },
        headers: { 'if-none-match': bulk.headers.get('etag') ?? '' },
      });
      expect(again.status).toBe(304);
      const values = expectStatus(
        await t.request<Record<string, boolean>>('GET', `/api/config/flags?userId=${SECRETS.includedUser}`, {
          token: frontend,
        }),
        200,
      );
      expect(values['beta-checkout']).toBe(true);
    });
  });

  describe('change notices for remote evaluation', () => {
    it('GET /api/config/stream tells a frontend token which flags changed, without their configuration', async () => {
      const frontend = await frontendToken();
      const response = await t.app.request('/api/config/stream', {
        headers: { authorization: `Bearer ${frontend}`, origin: APP_ORIGIN },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      const body = response.body;
      if (!body) throw new Error('the stream has no body');
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        const deadline = Date.now() + 5000;
        while (!text.includes(needle)) {
          if (Date.now() > deadline) throw new Error(`never saw ${needle} in ${text}`);
          const { done, value } = await reader.read();
          if (done) throw new Error(`the stream ended before ${needle}: ${text}`);
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil('event: ready');
      expect(text).toMatch(/^retry: 1000$/m);
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'notice-flag' } }), 201);
      const changedAt = performance.now();
      expectStatus(
        await t.request('PATCH', '/api/admin/flags/notice-flag', { body: { enabled: true, rolloutPercentage: 50 } }),
        200,
      );
      await readUntil('"flags":["notice-flag"]');
      expect(performance.now() - changedAt).toBeLessThan(1000);
      expect(text).not.toContain('rolloutPercentage');
      await reader.cancel();
    });
  });

  describe('CORS', () => {
    it('a frontend token answers only its allowed origins, by name, with Vary: Origin', async () => {
      const frontend = await frontendToken([APP_ORIGIN, 'http://localhost:5173']);
      for (const origin of [APP_ORIGIN, 'http://localhost:5173']) {
        const response = await t.request('POST', '/ofrep/v1/evaluate/flags', {
          token: frontend,
          headers: { origin },
          body: { context: { targetingKey: 'u1' } },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('access-control-allow-origin')).toBe(origin);
        expect(response.headers.get('vary')).toContain('Origin');
      }
      for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'null']) {
        const response = await t.request('GET', '/api/config/flags?userId=u1', {
          token: frontend,
          headers: { origin },
        });
        expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
        expect(response.headers.get('vary')).toContain('Origin');
      }
      // A refused route refuses the browser too.
      const refused = await t.request('GET', '/api/client/flags', { token: frontend, headers: { origin: APP_ORIGIN } });
      expect(refused.status).toBe(403);
    });

    it('"*" lets any origin read a frontend token\'s answers; server tokens keep answering any origin with *', async () => {
      const anyOrigin = await frontendToken(['*']);
      const response = await t.request('GET', '/api/config/flags?userId=u1', {
        token: anyOrigin,
        headers: { origin: 'https://anywhere.example.org' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBe('https://anywhere.example.org');
      const server = await t.request('GET', '/api/config/flags?userId=u1', {
        token: t.tokens.client,
        headers: { origin: 'https://anywhere.example.org' },
      });
      expect(server.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('answers the preflight of the evaluation routes (which carries no token), X-API-Key included', async () => {
      const response = await t.app.request('/ofrep/v1/evaluate/flags', {
        method: 'OPTIONS',
        headers: {
          origin: APP_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-api-key, content-type',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    });
  });

  describe('OFREP', () => {
    it('GET /ofrep/v1/configuration names Flagline, its polling hint and the supported types', async () => {
      const frontend = await frontendToken();
      const configuration = expectStatus(await t.request('GET', '/ofrep/v1/configuration', { token: frontend }), 200);
      expect(configuration).toEqual({
        name: 'Flagline',
        capabilities: {
          cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 200 } },
          flagEvaluation: { supportedTypes: ['boolean', 'string', 'int', 'float', 'object'] },
        },
      });
      expectError(await t.request('GET', '/ofrep/v1/configuration', { token: null }), 401, 'UNAUTHORIZED');
    });

    it('accepts the token as X-API-Key on OFREP routes, and only there', async () => {
      const frontend = await frontendToken();
      for (const token of [frontend, t.tokens.client]) {
        const bulk = await t.request('POST', '/ofrep/v1/evaluate/flags', {
          token: null,
          headers: { 'x-api-key': token },
          body: { context: { targetingKey: 'u1' } },
        });
        expect(bulk.status).toBe(200);
        const configuration = await t.request('GET', '/ofrep/v1/configuration', {
          token: null,
          headers: { 'x-api-key': token },
        });
        expect(configuration.status).toBe(200);
      }
      expectError(
        await t.request('POST', '/ofrep/v1/evaluate/flags', {
          token: null,
          headers: { 'x-api-key': 'fl_not-a-real-token' },
          body: {},
        }),
        401,
        'UNAUTHORIZED',
      );
      expectError(
        await t.request('GET', '/api/config/flags', { token: null, headers: { 'x-api-key': t.tokens.client } }),
        401,
        'UNAUTHORIZED',
      );
    });

    it('errors keep OFREP shape for frontend tokens: FLAG_NOT_FOUND, INVALID_CONTEXT, PARSE_ERROR', async () => {
      const frontend = await frontendToken();
      expect(
        expectStatus(
          await t.request('POST', '/ofrep/v1/evaluate/flags/no-such-flag', { token: frontend, body: {} }),
          404,
        ),
      ).toMatchObject({ key: 'no-such-flag', errorCode: 'FLAG_NOT_FOUND' });
      expect(
        expectStatus(
          await t.request('POST', '/ofrep/v1/evaluate/flags/no-such-flag', {
            token: frontend,
            body: { context: { targetingKey: 7 } },
          }),
          400,
        ),
      ).toMatchObject({ key: 'no-such-flag', errorCode: 'INVALID_CONTEXT' });
      expect(
        expectStatus(
          await t.request('POST', '/ofrep/v1/evaluate/flags', { token: frontend, rawBody: '{"context":' }),
          400,
        ),
      ).toMatchObject({ errorCode: 'PARSE_ERROR' });
    });
  });
});
