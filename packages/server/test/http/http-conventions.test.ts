import { createServer } from 'node:net';
import { problemBodySchema } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectError, expectStatus } from '../helpers/http';

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A well-formed JWT whose signature is never checked: the key set it needs cannot be fetched. */
const UNVERIFIABLE_JWT = [{ alg: 'RS256', kid: 'k1' }, { sub: 'someone' }]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');

describe.each(testBackends())('HTTP conventions (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend, { OVERRIDE_RATE_LIMIT_PER_HOUR: '1' });
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'conventions' } })), 201);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });
  const conventions = { params: { path: { flagKey: 'conventions' }, query: { environment: 'development' } } };

  describe('401 carries a Bearer challenge (RFC 6750)', () => {
    it('without credentials: the scheme and realm, no error code', async () => {
      const response = await answer(apiClient(t, null).GET('/api/admin/flags'));
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="flagline"');
    });

    it('with a refused token: error="invalid_token" and a description', async () => {
      const response = await answer(apiClient(t, 'fl_not_a_real_token_0123456789abcdef').GET('/api/config/flags'));
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="flagline", error="invalid_token", error_description="[^"]+"$/,
      );
    });

    it('with another scheme: error="invalid_request"', async () => {
      // Raw: the typed client only sends Bearer credentials.
      const response = await t.request('GET', '/api/admin/flags', {
        token: null,
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      });
      expectError(response, 401, 'UNAUTHORIZED');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="flagline", error="invalid_request"/);
    });

    it('is not sent with other errors', async () => {
      const response = await answer(
        apiClient(t, t.tokens.viewer).PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'conventions' } },
          body: { enabled: true },
        }),
      );
      expectError(response, 403, 'FORBIDDEN');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });
  });

  it('429 says when to retry: Retry-After is when the oldest change leaves the hour', async () => {
    const override = (userId: string) =>
      answer(
        apiClient(t).POST('/api/admin/flags/{flagKey}/users', {
          params: { path: { flagKey: 'conventions' } },
          body: { userId, overrideType: 'include' },
        }),
      );
    expectStatus(await override('u1'), 201);
    const limited = await override('u2');
    expectError(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
  });

  it('RFC 9457 problem details when Accept asks for them, the same facts as the JSON error', async () => {
    // Raw where the types cannot go: an out-of-range rollout, and a route that does not exist.
    const asJson = await t.request('PATCH', '/api/admin/flags/conventions', { body: { rolloutPercentage: 150 } });
    const error = expectError(asJson, 400, 'VALIDATION_FAILED');
    const asProblem = await t.request('PATCH', '/api/admin/flags/conventions', {
      body: { rolloutPercentage: 150 },
      headers: { accept: 'application/problem+json' },
    });
    expect(asProblem.status).toBe(400);
    expect(asProblem.headers.get('content-type')).toBe('application/problem+json');
    const problem = problemBodySchema.parse(asProblem.body);
    expect(problem).toEqual({
      type: 'urn:flagline:error:VALIDATION_FAILED',
      title: 'Validation failed',
      status: 400,
      detail: error.message,
      code: 'VALIDATION_FAILED',
      details: error.details,
      requestId: asProblem.headers.get('x-request-id'),
    });

    const notFound = await t.request('GET', '/api/admin/nothing-here', {
      headers: { accept: 'application/json;q=0.5, application/problem+json' },
    });
    expect(notFound.headers.get('content-type')).toBe('application/problem+json');
    expect(notFound.body).toMatchObject({ status: 404, code: 'NOT_FOUND', title: 'Not found' });
    const unauthorized = await answer(
      apiClient(t, null).GET('/api/admin/flags', { headers: { accept: 'application/problem+json' } }),
    );
    expect(unauthorized.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer realm="flagline"');

    // JSON stays the default, and wins when the client prefers it or accepts anything.
    for (const accept of ['application/json', '*/*', 'application/json, application/problem+json;q=0.9']) {
      const response = await t.request('GET', '/api/admin/nothing-here', { headers: { accept } });
      expect(response.headers.get('content-type'), accept).toMatch(/^application\/json/);
      expectError(response, 404, 'NOT_FOUND');
    }
  });

  it('GET /api/admin/flags/:key has an ETag that If-Match accepts, and that moves with the flag', async () => {
    const api = apiClient(t);
    const read = await answer(api.GET('/api/admin/flags/{flagKey}', conventions));
    const etag = read.headers.get('etag');
    expect(etag).toBe(`"${expectStatus(read, 200).version}"`);
    const ifMatch = { params: { ...conventions.params, header: { 'if-match': etag ?? '' } } };
    const changed = await answer(api.PATCH('/api/admin/flags/{flagKey}', { ...ifMatch, body: { enabled: true } }));
    expect(expectStatus(changed, 200).version).toBe(read.body.version + 1);
    expect(changed.headers.get('etag')).toBe(`"${changed.body.version}"`);
    const stale = await answer(api.PATCH('/api/admin/flags/{flagKey}', { ...ifMatch, body: { enabled: false } }));
    expectError(stale, 412, 'PRECONDITION_FAILED');
    const reread = await answer(api.GET('/api/admin/flags/{flagKey}', conventions));
    expect(reread.headers.get('etag')).toBe(changed.headers.get('etag'));
  });
});

describe('503 carries Retry-After', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite', {
      AUTH_JWKS_URL: `http://127.0.0.1:${await closedPort()}/jwks.json`,
      AUTH_ISSUER: 'https://issuer.example',
      AUTH_AUDIENCE: 'flagline',
    });
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('when the signing keys cannot be fetched, in JSON and as a problem', async () => {
    const api = apiClient(t, UNVERIFIABLE_JWT);
    const response = await answer(api.GET('/api/admin/flags'));
    expectError(response, 503, 'UNAVAILABLE');
    expect(response.headers.get('retry-after')).toBe('5');
    const problem = await answer(api.GET('/api/admin/flags', { headers: { accept: 'application/problem+json' } }));
    expect(problem.headers.get('retry-after')).toBe('5');
    expect(problem.body).toMatchObject({ status: 503, code: 'UNAVAILABLE', title: 'Unavailable' });
  });
});
