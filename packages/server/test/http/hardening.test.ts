import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatedToken, FlagView } from '@flagline/core';
import { getRequestListener } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator';
import { errorTextWithoutParameters } from '../../src/db/redaction';
import { flags } from '../../src/db/schema';
import { answer, apiClient } from '../helpers/api-client';
import { type TestApp, useTestApp } from '../helpers/app';
import { postgresBackends, testBackends } from '../helpers/database';
import { auditEvents, expectError, expectFieldError, expectStatus, tokenIdOf } from '../helpers/http';
import { captureLogs } from '../helpers/logs';

/** The app behind a real socket on 127.0.0.1, so requests have a client address. */
async function listen(t: TestApp): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(getRequestListener(t.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(testBackends())('secrets stay out of the logs when a query fails (%s)', (backend) => {
  const logs = captureLogs();
  const t = useTestApp(backend, {}, { logger: logs.logger });

  it('a webhook whose insert fails: 500 for the client, a log line with the SQL but not the secret', async () => {
    // A broken table, as a failing disk or a botched migration would leave it; the database quotes the secret in its
    // own message too, as it does for a value of the wrong type.
    await t.deps.database.db.execute(sql`
      create function break_webhook_insert() returns trigger language plpgsql as $$
      begin raise exception 'cannot store webhook with secret %', new.secret; end $$`);
    await t.deps.database.db.execute(sql`
      create trigger break_webhook_insert before insert on webhooks
        for each row execute function break_webhook_insert()`);
    const secret = 'whsec_do-not-log-me-4f9a2c7e1b';
    const response = await t.request('POST', '/api/admin/webhooks', {
      body: { url: 'https://hooks.example.com/flagline', secret, description: 'billing' },
    });
    expectError(response, 500, 'INTERNAL');

    const text = logs.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('do-not-log-me');
    const [logged] = logs.entries().filter((entry) => entry.msg === 'unhandled error');
    const err = logged?.err as { message: string; stack: string; query?: string; params?: unknown } | undefined;
    // What an operator needs is still there: the statement, the database's words, where it failed.
    expect(err?.query).toMatch(/insert into "webhooks"/);
    expect(err?.message).toContain('params: [redacted]');
    expect(err?.message).toContain('cannot store webhook with secret [redacted]');
    expect(err?.stack).toContain('params: [redacted]');
    expect(err?.params).toBeUndefined();
  });

  it('the raw driver error (params, detail) is redacted too, not only the query wrapper', async () => {
    const key = 'dup-key-4711-should-not-appear';
    await t.deps.database.db.insert(flags).values({ key });
    let failure: unknown;
    try {
      await t.deps.database.db.insert(flags).values({ key });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    const driverError = (failure as Error).cause as { detail?: string; params?: unknown };
    // PGlite carries params on its own errors; both drivers quote the duplicate value in detail.
    expect(driverError.detail).toContain(key);
    logs.logger.error({ err: failure }, 'wrapped');
    logs.logger.error({ err: driverError }, 'raw');
    const [wrapped, raw] = logs.entries().filter((entry) => entry.msg === 'wrapped' || entry.msg === 'raw');
    expect(JSON.stringify([wrapped, raw])).not.toContain(key);
    expect((raw?.err as { detail?: string } | undefined)?.detail).toBe('Key (key)=([redacted]) already exists.');
    // What the CLI prints for an unexpected failure (its stack, causes included) is redacted the same way.
    const printed = errorTextWithoutParameters(failure);
    expect(printed).toContain('params: [redacted]');
    expect(printed).not.toContain(key);
    await t.deps.database.db.delete(flags).where(eq(flags.key, key));
  });
});

describe('logging a failed query whose parameters JSON cannot write', () => {
  it('redacts a bigint parameter instead of throwing inside the logger', () => {
    // The audit sealer binds transaction ids as bigint; a connection cut mid-pass used to crash the process here.
    const failure = Object.assign(new Error('Failed query: select 1 params: 123456789012,secret-value'), {
      params: [123456789012n, 'secret-value'],
    });
    const printed = errorTextWithoutParameters(failure);
    expect(printed).toContain('params: [redacted]');
    expect(printed).not.toContain('secret-value');
    expect(printed).not.toContain('123456789012');
  });
});

describe.each(testBackends())('bad input that used to reach a 500 (%s)', (backend) => {
  const t = useTestApp(backend);
  beforeAll(async () => {
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'input-flag' } }), 201);
  });

  const future = () => new Date(Date.now() + 86_400_000).toISOString();
  /** A different rollout each time, so every PATCH is a change with its own audit event. */
  let rollout = 0;
  const patchWithRequestId = (requestId: string) =>
    t.request('PATCH', '/api/admin/flags/input-flag', {
      body: { rolloutPercentage: ++rollout },
      headers: { 'x-request-id': requestId },
    });

  it.each([
    ['a flag description', 'POST', '/api/admin/flags', '{"key":"sur-1","description":"a\\ud800b"}', 'description'],
    ['a PATCHed description', 'PATCH', '/api/admin/flags/input-flag', '{"description":"\\udfff"}', 'description'],
    [
      'an override user id',
      'POST',
      '/api/admin/flags/input-flag/users',
      '{"userId":"\\ud83d","overrideType":"include"}',
      'userId',
    ],
    [
      'an override reason',
      'POST',
      '/api/admin/flags/input-flag/users',
      '{"userId":"u1","overrideType":"include","reason":"x\\ude00"}',
      'reason',
    ],
    ['a token name', 'POST', '/api/admin/tokens', '{"name":"\\ud800","role":"viewer"}', 'name'],
    ['an environment name', 'POST', '/api/admin/environments', '{"key":"staging","name":"\\udbff"}', 'name'],
    [
      'a webhook description',
      'POST',
      '/api/admin/webhooks',
      '{"url":"https://hooks.example.com/x","description":"\\ud800"}',
      'description',
    ],
    ['an unknown field name', 'POST', '/api/admin/flags', '{"key":"sur-2","\\ud800":1}', '\ud800'],
    [
      'an OFREP context',
      'POST',
      '/ofrep/v1/evaluate/flags/input-flag',
      '{"context":{"targetingKey":"\\ud800"}}',
      'context.targetingKey',
    ],
  ])(
    'refuses an unpaired surrogate in %s with 400 naming the field, and changes nothing',
    async (_case, method, path, rawBody, field) => {
      const before = await auditEvents(t);
      const token = path.startsWith('/ofrep') ? t.tokens.client : t.tokens.admin;
      const reason = expectFieldError(await t.request(method, path, { rawBody, token }), field, 'body');
      expect(reason).toMatch(/unpaired UTF-16 surrogate/);
      expect(await auditEvents(t)).toEqual(before);
    },
  );

  it('a schedule with a surrogate in a nested field is 400 too', async () => {
    const rawBody = `{"scheduledAt":"${future()}","updates":{"enabled":true},"note\\ud800":1}`;
    expectError(await t.request('POST', '/api/admin/flags/input-flag/schedule', { rawBody }), 400, 'VALIDATION_FAILED');
  });

  it('well-formed pairs (emoji) and the replacement character are ordinary text', async () => {
    const rawBody = '{"key":"emoji-flag","description":"launch \\ud83d\\ude80 \\ufffd"}';
    const created = expectStatus(await t.request<FlagView>('POST', '/api/admin/flags', { rawBody }), 201);
    expect(created.description).toBe('launch 🚀 \ufffd');
  });

  it.each([
    ['a UUID', '0b7c6f9e-1d2a-4c3b-8e5f-6a7b8c9d0e1f'],
    ['a dotted, coloned id', 'deploy:2026-12-01.build_42'],
    ['128 characters', `a${'b'.repeat(127)}`],
  ])('keeps a client X-Request-Id that is %s, in the answer and the audit trail', async (_case, requestId) => {
    const response = await patchWithRequestId(requestId);
    expectStatus(response, 200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const [event] = await auditEvents(t, { flagKey: 'input-flag', limit: 1 });
    expect(event?.requestId).toBe(requestId);
  });

  it.each([
    ['a spreadsheet formula', '=HYPERLINK("http://evil.example")'],
    ['a leading minus', '-2+3'],
    ['a leading equals sign (allowed by Hono before)', '=A1-cmd'],
    ['129 characters', `a${'b'.repeat(128)}`],
    ['255 word characters (allowed by Hono before)', 'x'.repeat(255)],
    ['a space', 'two words'],
    ['markup', '<script>alert(1)</script>'],
    ['a non-ASCII letter', 'café-42'],
  ])('replaces a client X-Request-Id that is %s with a generated one, everywhere', async (_case, requestId) => {
    const response = await patchWithRequestId(requestId);
    expectStatus(response, 200);
    const generated = response.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [event] = await auditEvents(t, { flagKey: 'input-flag', limit: 1 });
    expect(event?.requestId).toBe(generated);
  });

  describe('a client token asking for another environment', () => {
    const forbiddenProbes: [string, string][] = [
      ['GET', '/api/config/flags?userId=u1&environment=development'],
      ['GET', '/api/config/flags/input-flag?environment=development'],
      ['GET', '/api/client/flags?environment=development'],
      ['GET', '/api/client/stream?environment=development'],
      ['GET', '/api/config/flags?environment=nowhere'],
    ];

    it.each(forbiddenProbes)('%s %s is 403 naming both environments', async (method, path) => {
      const response = await t.request(method, path, { token: t.tokens.client });
      const body = expectError(response, 403, 'FORBIDDEN');
      expect(body.message).toContain('"production"');
      expect(body.details).toMatchObject({ tokenEnvironment: 'production' });
    });

    it('asking for its own environment, or for none, answers as before', async () => {
      for (const path of [
        '/api/config/flags?userId=u1',
        '/api/config/flags?userId=u1&environment=production',
        '/api/config/flags/input-flag',
        '/api/config/flags/input-flag?environment=production',
        '/api/client/flags',
        '/api/client/flags?environment=production',
      ]) {
        expect((await t.request('GET', path, { token: t.tokens.client })).status, path).toBe(200);
      }
      // Admins and viewers still choose any environment.
      const development = await t.request('GET', '/api/config/flags?environment=development', {
        token: t.tokens.viewer,
      });
      expect(development.status).toBe(200);
    });
  });
});

describe.each(testBackends())('admin credentials (%s)', (backend) => {
  describe('without FLAGLINE_ADMIN_TOKEN or OIDC', () => {
    const t = useTestApp(backend);

    const createAdmin = async (name: string) =>
      expectStatus(await answer(apiClient(t).POST('/api/admin/tokens', { body: { name, role: 'admin' } })), 201);
    const revoke = (id: string, token: string) =>
      answer(apiClient(t, token).DELETE('/api/admin/tokens/{id}', { params: { path: { id } } }));

    it('revoking the last admin token is 409 INVALID_STATE; with another one live it is 204', async () => {
      const helperAdmin = await tokenIdOf(t, t.tokens.admin);
      const second = await createAdmin('second admin');
      const asSecond = apiClient(t, second.secret);
      // Two live admin tokens: either may go.
      expectStatus(await revoke(helperAdmin, second.secret), 204);
      // Now `second` is the last one.
      const refused = await revoke(second.id, second.secret);
      expect(expectError(refused, 409, 'INVALID_STATE').message).toMatch(/last admin credential/);
      expect((await answer(asSecond.GET('/api/admin/tokens'))).status).toBe(200);
      const audit = await answer(asSecond.GET('/api/admin/audit', { params: { query: { type: 'token.revoked' } } }));
      const revoked = expectStatus(audit, 200).items.map((event) =>
        event.type === 'token.revoked' ? event.data.tokenId : undefined,
      );
      expect(revoked).toEqual([helperAdmin]);
      // Viewer and client tokens are not admin credentials; they may always go.
      const viewer = await tokenIdOf(t, t.tokens.viewer);
      expectStatus(await revoke(viewer, second.secret), 204);
    });
  });

  describe.each([
    ['FLAGLINE_ADMIN_TOKEN is set', { FLAGLINE_ADMIN_TOKEN: 'f3c9a1e0-admin-7b2d4e6f8091a3c5e7d9' }],
    [
      'OIDC sign-in is configured',
      { AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json', AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'x' },
    ],
  ])('when %s', (_case, env) => {
    const t = useTestApp(backend, env);

    it('the last admin token may be revoked (admins still have a way in)', async () => {
      const id = await tokenIdOf(t, t.tokens.admin);
      expectStatus(await answer(apiClient(t).DELETE('/api/admin/tokens/{id}', { params: { path: { id } } })), 204);
      expectError(await answer(apiClient(t).GET('/api/admin/flags')), 401, 'UNAUTHORIZED');
    });
  });
});

describe.each(postgresBackends())('the last admin token under concurrency (%s)', (backend) => {
  const t = useTestApp(backend);

  it('two admins revoking each other at the same moment: exactly one succeeds, an admin always remains', async () => {
    let survivor = t.tokens.admin;
    const createAdmin = async (name: string) =>
      expectStatus(
        await t.request<CreatedToken>('POST', '/api/admin/tokens', { body: { name, role: 'admin' }, token: survivor }),
        201,
      );
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await createAdmin(`race-a-${round}`), await createAdmin(`race-b-${round}`)];
      // Leave exactly these two live.
      const live = (
        await t.request<{ items: { id: string; role: string; revokedAt: string | null }[] }>(
          'GET',
          '/api/admin/tokens',
          { token: a.secret },
        )
      ).body.items.filter(
        (token) => token.role === 'admin' && !token.revokedAt && token.id !== a.id && token.id !== b.id,
      );
      for (const token of live) {
        expectStatus(await t.request('DELETE', `/api/admin/tokens/${token.id}`, { token: a.secret }), 204);
      }
      const answers = await Promise.all([
        t.request('DELETE', `/api/admin/tokens/${b.id}`, { token: a.secret }),
        t.request('DELETE', `/api/admin/tokens/${a.id}`, { token: b.secret }),
      ]);
      // The loser is refused as the last admin (409), or, when the winner committed before it was even
      // authenticated, as a revoked token (401): never both revoked.
      expect(answers.filter((answer) => answer.status === 204)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status !== 204).map((answer) => answer.status)).toEqual([
        expect.toSatisfy((status: number) => status === 409 || status === 401),
      ]);
      survivor = answers[0]?.status === 204 ? a.secret : b.secret;
      const result = (await t.deps.database.db.execute(
        sql`select count(*)::int as live from api_tokens where role = 'admin' and revoked_at is null`,
      )) as unknown as { rows: { live: number }[] };
      expect(result.rows[0]?.live).toBe(1);
    }
  });
});

describe('failed authentications are limited per client address', () => {
  const ADMIN_TOKEN = '9d2f6b1a-e8c4-4f07-b3a5-c1e0d7f98246';
  const t = useTestApp('pglite', { AUTH_FAILURES_PER_MINUTE: '5', FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    server = await listen(t);
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = async (token: string, path = '/api/admin/flags') => {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
  };

  it('after 5 failures in a minute: 429 RATE_LIMITED with Retry-After, even for the right admin token', async () => {
    // The client token is verified once, before the guessing starts.
    expect((await call(t.tokens.client, '/api/config/flags')).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const guess = await call(i % 2 ? `fl_guess_${i}` : `guess-admin-token-${i}`);
      expect(guess.status).toBe(401);
    }
    const limited = await call('fl_guess_6');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: 'RATE_LIMITED' });
    const retryAfter = Number(limited.retryAfter);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A guesser who finally types the right admin token learns nothing while limited.
    expect((await call(ADMIN_TOKEN)).status).toBe(429);
    // A token this instance already verified keeps working from the same address (an app behind the same proxy).
    expect((await call(t.tokens.client, '/api/config/flags')).status).toBe(200);
  });

  it('in-process callers without an address share one count; the limit is per instance and can be turned off', async () => {
    const unlimited = new Authenticator(
      t.deps.database.db,
      { ...t.deps.config, auth: { ...t.deps.config.auth, failuresPerMinute: 0 } },
      t.deps.logger,
    );
    for (let i = 0; i < 20; i++) {
      await expect(unlimited.authenticate(`Bearer fl_nope_${i}`, '203.0.113.9')).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    }
    await unlimited.stop();
  });
});

describe.each(testBackends())('unknown tokens have a cache of their own (%s)', (backend) => {
  const t = useTestApp(backend);

  it('10,000 made-up tokens do not push a verified token out of the cache', async () => {
    // A clock that stands still: the 30 s cache lifetime must not run out however slow the machine is.
    const now = Date.now();
    const authenticator = new Authenticator(t.deps.database.db, t.deps.config, t.deps.logger, () => now);
    const valid = `Bearer ${t.tokens.client}`;
    await authenticator.authenticate(valid);
    expect(authenticator.cachedPrincipal(valid)?.role).toBe('client');

    let refused = 0;
    for (let batch = 0; batch < 100; batch++) {
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) =>
          authenticator.authenticate(`Bearer fl_fake_${batch}_${i}_${'x'.repeat(30)}`),
        ),
      );
      refused += results.filter((result) => result.status === 'rejected').length;
    }
    expect(refused).toBe(10_000);

    // Still served from memory, with no I/O (the evaluation fast path's lookup).
    expect(authenticator.cachedPrincipal(valid)).toMatchObject({ role: 'client', environment: 'production' });
    await authenticator.stop();
    // 10,000 lookups: seconds on an idle machine, far more on one shared with other suites.
  }, 600_000);

  it('a made-up token asked again is refused from memory; a revoked token moves from one cache to the other', async () => {
    const logs = captureLogs('debug');
    const authenticator = new Authenticator(t.deps.database.db, t.deps.config, logs.logger);
    await expect(authenticator.authenticate('Bearer fl_made_up_once')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // Break the table: a lookup now would fail with a database error, not a 401.
    await t.deps.database.db.execute(sql`alter table api_tokens rename to api_tokens_away`);
    try {
      await expect(authenticator.authenticate('Bearer fl_made_up_once')).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
      await expect(authenticator.authenticate('Bearer fl_made_up_twice')).rejects.not.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    } finally {
      await t.deps.database.db.execute(sql`alter table api_tokens_away rename to api_tokens`);
    }
    const created = expectStatus(
      await answer(apiClient(t).POST('/api/admin/tokens', { body: { name: 'short-lived', role: 'viewer' } })),
      201,
    );
    const bearer = `Bearer ${created.secret}`;
    expect((await authenticator.authenticate(bearer)).role).toBe('viewer');
    expectStatus(
      await answer(apiClient(t).DELETE('/api/admin/tokens/{id}', { params: { path: { id: created.id } } })),
      204,
    );
    authenticator.invalidate();
    await expect(authenticator.authenticate(bearer)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(authenticator.cachedPrincipal(bearer)).toBeUndefined();
    await authenticator.stop();
  });
});
