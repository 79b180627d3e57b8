import { errorBodySchema } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/app';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type RequestOptions, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditMark,
  auditSince,
  expectError,
  expectFieldError,
  expectStatus,
} from '../helpers/http';

/** Sample values for every path parameter the API has; a new parameter fails the route-table test until added. */
const SAMPLE_PARAMS: Record<string, string> = {
  flagKey: 'hygiene-flag',
  userId: 'user-1',
  id: '00000000-0000-4000-8000-000000000000',
  scheduleId: '00000000-0000-4000-8000-000000000000',
  planId: '00000000-0000-4000-8000-000000000000',
  segmentKey: 'hygiene-segment',
  key: 'production',
};

function adminRoutes(t: TestApp): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of t.app.routes) {
    if (route.method === 'ALL' || !route.path.startsWith('/api/admin')) continue;
    seen.set(`${route.method} ${route.path}`, { method: route.method, path: route.path });
  }
  return [...seen.values()];
}

function samplePath(path: string): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => {
    const value = SAMPLE_PARAMS[name];
    if (value === undefined) throw new Error(`no sample value for path parameter :${name} in ${path}`);
    return encodeURIComponent(value);
  });
}

describe.each(testBackends())('HTTP hygiene (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'hygiene-flag' } })), 201);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });
  /** A flag as the admin reads it: the check that a refused write created nothing. */
  const getFlag = (flagKey: string) =>
    answer(apiClient(t).GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey } } }));

  describe('authentication', () => {
    it.each([
      ['no Authorization header', {}],
      ['an unknown API token', { authorization: 'Bearer fl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['a token that is not an API token', { authorization: 'Bearer not-a-flagline-token' }],
      ['a JWT-looking token without OIDC configured', { authorization: 'Bearer aaa.bbb.ccc' }],
      ['"Bearer" alone', { authorization: 'Bearer' }],
      ['"Bearer" and a blank', { authorization: 'Bearer   ' }],
      ['two tokens', { authorization: 'Bearer fl_a fl_b' }],
      ['Basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['a bare token', { authorization: 'fl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ])('answers 401 UNAUTHORIZED for %s', async (_name, headers: Record<string, string>) => {
      for (const path of ['/api/admin/flags', '/api/config/flags', '/api/admin/audit']) {
        expectError(await t.request('GET', path, { token: null, headers }), 401, 'UNAUTHORIZED');
      }
      const write = await t.request('POST', '/api/admin/flags', { token: null, headers, body: { key: 'anon-flag' } });
      expectError(write, 401, 'UNAUTHORIZED');
    });

    it('accepts the scheme in any case', async () => {
      const headers = { authorization: `bearer ${t.tokens.viewer}` };
      expectStatus(await t.request('GET', '/api/admin/flags', { token: null, headers }), 200);
    });

    it('checks credentials before validating input', async () => {
      const response = await t.request('POST', '/api/admin/flags', { token: null, rawBody: '{not json' });
      expectError(response, 401, 'UNAUTHORIZED');
      expectError(await t.request('GET', '/api/admin/flags?limit=0', { token: null }), 401, 'UNAUTHORIZED');
    });
  });

  describe('authorization', () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/api/admin/flags', { key: 'viewer-flag' }],
      ['PATCH', '/api/admin/flags/hygiene-flag', { enabled: true }],
      ['POST', '/api/admin/flags/hygiene-flag', { enabled: true }],
      ['DELETE', '/api/admin/flags/hygiene-flag', undefined],
      ['POST', '/api/admin/flags/hygiene-flag/users', { userId: 'u1', overrideType: 'include' }],
      ['DELETE', '/api/admin/flags/hygiene-flag/users/u1', undefined],
      ['POST', '/api/admin/environments', { key: 'viewer-env' }],
      ['POST', '/api/admin/tokens', { name: 'escalate', role: 'admin' }],
      ['DELETE', `/api/admin/tokens/${SAMPLE_PARAMS.id}`, undefined],
    ];

    it.each(writes)('answers 403 to a viewer for %s %s, and writes nothing', async (method, path, body) => {
      const mark = await auditMark(t);
      const response = await t.request(method, path, { token: t.tokens.viewer, body });
      expectError(response, 403, 'FORBIDDEN');
      expect(await auditSince(t, mark)).toEqual([]);
    });

    it.each([
      '/api/admin/flags',
      '/api/admin/flags/hygiene-flag',
      '/api/admin/flags/hygiene-flag/users',
      '/api/admin/environments',
      '/api/admin/tokens',
      '/api/admin/audit',
      '/api/admin/audit/verify',
    ])('lets a viewer GET %s', async (path) => {
      expectStatus(await t.request('GET', path, { token: t.tokens.viewer }), 200);
    });

    it('answers 403 to client tokens on admin routes, reads included', async () => {
      for (const token of [t.tokens.client, t.tokens.developmentClient]) {
        const asClient = apiClient(t, token);
        expectError(await answer(asClient.GET('/api/admin/flags')), 403, 'FORBIDDEN');
        expectError(
          await answer(asClient.POST('/api/admin/flags', { body: { key: 'client-flag' } })),
          403,
          'FORBIDDEN',
        );
      }
    });
  });

  describe('route table', () => {
    it('lists every admin route (the table is what the next test walks)', () => {
      const routes = adminRoutes(t).map((route) => `${route.method} ${route.path}`);
      expect(routes).toEqual(
        expect.arrayContaining([
          'GET /api/admin/flags',
          'POST /api/admin/flags',
          'GET /api/admin/flags/:flagKey',
          'PATCH /api/admin/flags/:flagKey',
          'POST /api/admin/flags/:flagKey',
          'DELETE /api/admin/flags/:flagKey',
          'POST /api/admin/flags/:flagKey/users',
          'DELETE /api/admin/flags/:flagKey/users/:userId',
          'GET /api/admin/flags/:flagKey/users',
          'GET /api/admin/environments',
          'POST /api/admin/environments',
          'POST /api/admin/tokens',
          'GET /api/admin/tokens',
          'DELETE /api/admin/tokens/:id',
          'GET /api/admin/audit',
          'GET /api/admin/audit/verify',
          'GET /api/admin/audit/:id',
        ]),
      );
    });

    it('answers 401 without a token and 403 for a client token on every /api/admin route', async () => {
      const routes = adminRoutes(t);
      const mark = await auditMark(t);
      for (const route of routes) {
        const path = samplePath(route.path);
        const body = route.method === 'GET' || route.method === 'HEAD' ? undefined : {};
        const anonymous = await t.request(route.method, path, { token: null, body });
        expect({ route: `${route.method} ${route.path}`, status: anonymous.status }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 401,
        });
        expectError(anonymous, 401, 'UNAUTHORIZED');
        const client = await t.request(route.method, path, { token: t.tokens.client, body });
        expect({ route: `${route.method} ${route.path}`, status: client.status }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 403,
        });
        expectError(client, 403, 'FORBIDDEN');
      }
      expect(await auditSince(t, mark)).toEqual([]);
    });

    it('answers 401 without a token on every /api/config route', async () => {
      const routes = t.app.routes.filter((route) => route.method !== 'ALL' && route.path.startsWith('/api/config'));
      expect(routes.length).toBeGreaterThan(0);
      for (const route of routes) {
        expectError(await t.request(route.method, samplePath(route.path), { token: null }), 401, 'UNAUTHORIZED');
      }
    });
  });

  describe('request bodies', () => {
    it('answers 413 PAYLOAD_TOO_LARGE for a body over 64 KiB, whatever its type', async () => {
      const huge = JSON.stringify({ key: 'huge-flag', description: 'd'.repeat(MAX_BODY_BYTES) });
      expectError(await t.request('POST', '/api/admin/flags', { rawBody: huge }), 413, 'PAYLOAD_TOO_LARGE');
      const text = { rawBody: 'x'.repeat(MAX_BODY_BYTES + 1), headers: { 'content-type': 'text/plain' } };
      expectError(await t.request('POST', '/api/admin/flags', text), 413, 'PAYLOAD_TOO_LARGE');
      expectError(await getFlag('huge-flag'), 404, 'NOT_FOUND');
    });

    it('reads a body of exactly 64 KiB (then validates it)', async () => {
      const prefix = '{"key":"big-flag","description":"';
      const rawBody = `${prefix}${'d'.repeat(MAX_BODY_BYTES - prefix.length - 2)}"}`;
      expect(Buffer.byteLength(rawBody)).toBe(MAX_BODY_BYTES);
      expectFieldError(await t.request('POST', '/api/admin/flags', { rawBody }), 'description');
    });

    it.each([
      ['a truncated object', '{"key":'],
      ['single quotes', "{'key':'x'}"],
      ['a trailing comma', '{"key":"x",}'],
      ['an empty body', ''],
      ['plain text', 'hello'],
      ['NaN', '{"rolloutPercentage":NaN}'],
    ])('answers 400 INVALID_JSON for %s', async (_name, rawBody) => {
      expectError(await t.request('POST', '/api/admin/flags', { rawBody }), 400, 'INVALID_JSON');
      expectError(
        await t.request('PATCH', '/api/admin/flags/hygiene-flag', {
          rawBody,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
        400,
        'INVALID_JSON',
      );
    });

    it('answers 400 (not 415 or 500) for a body that is not JSON', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await t.request('POST', '/api/admin/flags', {
          rawBody: 'key=form-flag',
          headers: { 'content-type': contentType },
        });
        expectError(response, 400, 'VALIDATION_FAILED');
      }
      // no content type and no body
      const empty = await t.request('POST', '/api/admin/environments', {});
      expectError(empty, 400, 'VALIDATION_FAILED');
      expectError(await getFlag('form-flag'), 404, 'NOT_FOUND');
    });

    it('answers 400 for U+0000 anywhere in the input, which PostgreSQL cannot store', async () => {
      expectFieldError(
        await t.request('POST', '/api/admin/flags', { body: { key: 'nul-flag', description: 'a\u0000b' } }),
        'description',
        'body',
      );
      expectFieldError(
        await t.request('POST', '/api/admin/flags/hygiene-flag/users', {
          body: { userId: '\u0000', overrideType: 'include' },
        }),
        'userId',
        'body',
      );
      expectFieldError(await t.request('GET', '/api/admin/flags?q=%00'), 'q', 'query');
      expectFieldError(await t.request('GET', '/api/admin/audit?actorId=a%00'), 'actorId', 'query');
      expectError(await t.request('GET', '/api/admin/flags/hygiene-flag/users/%00'), 400, 'VALIDATION_FAILED');
      expectError(await t.request('DELETE', '/api/admin/flags/hygiene-flag/users/a%00b'), 400, 'VALIDATION_FAILED');
      const cursor = Buffer.from(JSON.stringify({ k: 'a\u0000' })).toString('base64url');
      expectFieldError(await t.request('GET', `/api/admin/flags?cursor=${cursor}`), 'cursor', 'query');
      // an encoded percent sign is just a character
      expectError(await t.request('GET', '/api/admin/flags/%2500/users'), 404, 'NOT_FOUND');
    });
  });

  describe('errors and unknown routes', () => {
    it('answers unknown routes with a JSON 404', async () => {
      // (a GET of another path outside the API may be the admin UI's own route, served its index.html)
      expectError(await t.request('POST', '/nope', { token: null, body: {} }), 404, 'NOT_FOUND');
      expectError(await t.request('GET', '/api/nope', { token: null }), 404, 'NOT_FOUND');
      expectError(await t.request('GET', '/api/admin/nope'), 404, 'NOT_FOUND');
      expectError(
        await t.request('PUT', '/api/admin/flags/hygiene-flag', { body: { enabled: true } }),
        404,
        'NOT_FOUND',
      );
      expectError(await t.request('GET', '/api/nope'), 404, 'NOT_FOUND');
    });

    it('gives every response a request id, echoing a well-formed one the client sent', async () => {
      const mine = await t.request('GET', '/healthz', { token: null, headers: { 'x-request-id': 'abc-123' } });
      expect(mine.headers.get('x-request-id')).toBe('abc-123');
      const error = await t.request('GET', '/api/admin/flags', { token: null, headers: { 'x-request-id': 'abc-456' } });
      expect(expectError(error, 401, 'UNAUTHORIZED').requestId).toBe('abc-456');
      const generated = await t.request('GET', '/healthz', { token: null, headers: { 'x-request-id': 'bad id!' } });
      expect(generated.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    });

    it('uses the error shape for every error', async () => {
      const requests: [string, string, RequestOptions?][] = [
        ['GET', '/api/admin/flags', { token: null }],
        ['GET', '/api/admin/flags', { token: t.tokens.client }],
        ['POST', '/api/admin/flags', { body: { key: 'BAD' } }],
        ['POST', '/api/admin/flags', { rawBody: '{' }],
        ['POST', '/api/admin/flags', { body: { key: 'hygiene-flag' } }],
        ['GET', '/api/admin/flags/missing'],
        ['PATCH', '/api/admin/flags/hygiene-flag', { body: { enabled: true }, headers: { 'if-match': '99' } }],
        ['GET', '/api/nowhere', { token: null }],
      ];
      const statuses: number[] = [];
      for (const [method, path, options] of requests) {
        const response = await t.request(method, path, options);
        statuses.push(response.status);
        const body = errorBodySchema.parse(response.body);
        expect(Object.keys(body).sort()).toEqual(
          body.details === undefined ? ['error', 'message', 'requestId'] : ['details', 'error', 'message', 'requestId'],
        );
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(body.requestId).toBe(response.headers.get('x-request-id'));
      }
      expect(statuses).toEqual([401, 403, 400, 400, 409, 404, 412, 404]);
    });
  });

  describe('ops routes', () => {
    it('answers /healthz and /readyz without a token', async () => {
      expect(expectStatus(await t.request('GET', '/healthz', { token: null }), 200)).toEqual({
        status: 'ok',
        version: expect.any(String),
      });
      expect(expectStatus(await t.request('GET', '/readyz', { token: null }), 200)).toEqual({
        status: 'ready',
        database: backend,
        configVersion: expect.any(Number),
      });
    });

    it('serves a valid OpenAPI 3.1 document listing every admin route', async () => {
      const response = await t.request<{
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
        components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> };
      }>('GET', '/openapi.json', { token: null });
      const doc = expectStatus(response, 200);
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info.title).toBe('Flagline API');
      expect(doc.components.securitySchemes.bearerAuth?.scheme).toBe('bearer');
      expect(Object.keys(doc.components.schemas)).toEqual(
        expect.arrayContaining(['FlagView', 'Error', 'AuditEvent', 'OverrideList', 'Token', 'Environment']),
      );
      for (const route of adminRoutes(t)) {
        const path = route.path.replace(/:(\w+)/g, '{$1}');
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        expect(operation, `${route.method} ${path} in /openapi.json`).toBeDefined();
        expect(operation?.security).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '401', '403']));
      }
      // every $ref points at a schema the document defines
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) expect(doc.components.schemas, `$ref ${ref}`).toHaveProperty([ref ?? '']);
    });

    it('serves the interactive reference at /docs', async () => {
      const response = await t.request<string>('GET', '/docs', { token: null });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.body).toContain('/openapi.json');
    });
  });
});
