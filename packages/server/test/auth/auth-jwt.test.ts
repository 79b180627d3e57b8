import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { captureLogs } from '../helpers/logs';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Flagline';
const CLIENT_ID = 'flagline-admin-ui';
const ADMIN_TOKEN = 'automation-admin-token-0123456789';

/** How the JWKS endpoint answers: normally, or like an identity provider having a bad day. */
type JwksMode = 'ok' | 'connection-reset' | 'http-500' | 'not-json';

interface Jwks {
  url: string;
  mode: JwksMode;
  key: SigningKey;
  /** Same kid as the published key, different key material. */
  impostor: SigningKey;
  close(): Promise<void>;
}

/** A JWKS endpoint like Cognito's `/.well-known/jwks.json`, on a random local port. */
async function startJwksServer(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const { privateKey: impostor } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  let jwks: Jwks | undefined;
  const server: Server = createServer((request, response) => {
    if (jwks?.mode === 'connection-reset') {
      request.socket.destroy();
      return;
    }
    if (jwks?.mode === 'http-500') {
      response.writeHead(500).end('upstream error');
      return;
    }
    if (jwks?.mode === 'not-json') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      return;
    }
    if (request.url === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  jwks = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    mode: 'ok',
    key: privateKey,
    impostor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return jwks;
}

interface TokenOptions {
  key?: SigningKey;
  kid?: string;
  issuer?: string;
  /** Seconds from now; negative for an expired token, null for none at all. */
  expiresIn?: number | null;
}

/** A Cognito-style access token: `sub`, `cognito:groups`, `client_id`, `token_use: access`, and no `aud`. */
function accessToken(jwks: Jwks, claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  const jwt = new SignJWT({ token_use: 'access', client_id: CLIENT_ID, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'test-key-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setIssuedAt(expiresIn === null ? now : Math.min(now, now + expiresIn - 60));
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt.sign(options.key ?? jwks.key);
}

describe('OIDC / JWT auth (Cognito access tokens)', () => {
  let jwks: Jwks;
  let t: TestApp;

  beforeAll(async () => {
    jwks = await startJwksServer();
    t = await createTestApp('pglite', {
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: CLIENT_ID,
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  const latestEvent = async (flagKey: string) => {
    const audit = await answer(apiClient(t).GET('/api/admin/audit', { params: { query: { flagKey } } }));
    expect(audit.status).toBe(200);
    return audit.body.items[0];
  };

  it("an 'admin' group member creates a flag, and the audit actor is the user (sub and email)", async () => {
    const token = await accessToken(jwks, {
      sub: 'user-0001',
      email: 'ada@example.com',
      'cognito:groups': ['admin'],
    });
    const created = await answer(apiClient(t, token).POST('/api/admin/flags', { body: { key: 'jwt-admin-flag' } }));
    expect(created.status).toBe(201);
    expect(created.body.key).toBe('jwt-admin-flag');

    const event = await latestEvent('jwt-admin-flag');
    expect(event?.type).toBe('flag.created');
    expect(event?.actor).toEqual({ type: 'user', id: 'user-0001', email: 'ada@example.com' });
  });

  it("an 'admins' group member is an admin too; without an email claim the actor's email is null", async () => {
    const token = await accessToken(jwks, { sub: 'user-0002', 'cognito:groups': ['readers', 'admins'] });
    const updated = await answer(
      apiClient(t, token).PATCH('/api/admin/flags/{flagKey}', {
        params: { path: { flagKey: 'jwt-admin-flag' } },
        body: { enabled: true },
      }),
    );
    expect(updated.status).toBe(200);
    expect(updated.body.enabled).toBe(true);
    expect((await latestEvent('jwt-admin-flag'))?.actor).toEqual({ type: 'user', id: 'user-0002', email: null });
  });

  it('a viewer group member can read admin routes but not change anything', async () => {
    const token = await accessToken(jwks, { sub: 'user-0003', 'cognito:groups': ['viewer'] });
    const viewer = apiClient(t, token);
    const list = await answer(viewer.GET('/api/admin/flags'));
    expect(list.status).toBe(200);
    expect(list.body.items.map((flag) => flag.key)).toContain('jwt-admin-flag');
    const create = await answer(viewer.POST('/api/admin/flags', { body: { key: 'viewer-made-this' } }));
    expect(create.status).toBe(403);
    expect(create.body).toMatchObject({ error: 'FORBIDDEN' });
    const made = await answer(
      apiClient(t).GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'viewer-made-this' } } }),
    );
    expect(made.status).toBe(404);
  });

  it('a valid token in no known group is forbidden (403), even for reads', async () => {
    for (const groups of [['developers'], [], undefined]) {
      const token = await accessToken(jwks, { sub: 'user-0004', ...(groups ? { 'cognito:groups': groups } : {}) });
      const response = await t.request('GET', '/api/admin/flags', { token });
      expect(response.status, `groups ${JSON.stringify(groups)}`).toBe(403);
      expect(response.body).toMatchObject({ error: 'FORBIDDEN' });
    }
  });

  it('an expired token is 401', async () => {
    const token = await accessToken(jwks, { sub: 'user-0005', 'cognito:groups': ['admin'] }, { expiresIn: -120 });
    const response = await t.request('GET', '/api/admin/flags', { token });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
  });

  it('a token from another issuer is 401', async () => {
    const token = await accessToken(
      jwks,
      { sub: 'user-0006', 'cognito:groups': ['admin'] },
      { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_SomeoneElse' },
    );
    const response = await t.request('GET', '/api/admin/flags', { token });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
  });

  it('a token signed by another key is 401, whether its kid is published or unknown', async () => {
    const claims = { sub: 'user-0007', 'cognito:groups': ['admin'] };
    for (const kid of ['test-key-1', 'unknown-key']) {
      const token = await accessToken(jwks, claims, { key: jwks.impostor, kid });
      const response = await t.request('POST', '/api/admin/flags', { token, body: { key: `forged-${kid}` } });
      expect(response.status, `kid ${kid}`).toBe(401);
      expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
    }
    expect((await t.request('GET', '/api/admin/flags/forged-test-key-1')).status).toBe(404);
  });

  it('checks the audience: an `aud` or an access token `client_id` must match AUTH_AUDIENCE', async () => {
    const withAud = await accessToken(jwks, {
      sub: 'user-0008',
      aud: CLIENT_ID,
      client_id: undefined,
      'cognito:groups': ['viewer'],
    });
    expect((await t.request('GET', '/api/admin/flags', { token: withAud })).status).toBe(200);

    const otherClient = await accessToken(jwks, {
      sub: 'user-0008',
      client_id: 'some-other-app',
      'cognito:groups': ['admin'],
    });
    expect((await t.request('GET', '/api/admin/flags', { token: otherClient })).status).toBe(401);

    const otherAudience = await accessToken(jwks, {
      sub: 'user-0008',
      aud: 'some-other-app',
      client_id: undefined,
      'cognito:groups': ['admin'],
    });
    expect((await t.request('GET', '/api/admin/flags', { token: otherAudience })).status).toBe(401);
  });

  it('a Cognito ID token (token_use "id") is 401, even with the right audience and groups', async () => {
    const idToken = await accessToken(jwks, {
      sub: 'user-0012',
      aud: CLIENT_ID,
      token_use: 'id',
      client_id: undefined,
      'cognito:groups': ['admin'],
    });
    const response = await t.request('POST', '/api/admin/flags', { token: idToken, body: { key: 'id-token-flag' } });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED', message: expect.stringContaining('token_use') });
    for (const tokenUse of [undefined, 'refresh', 'ACCESS']) {
      const odd = await accessToken(jwks, { sub: 'user-0012', token_use: tokenUse, 'cognito:groups': ['admin'] });
      expect((await t.request('GET', '/api/admin/flags', { token: odd })).status, String(tokenUse)).toBe(401);
    }
    expect((await t.request('GET', '/api/admin/flags/id-token-flag')).status).toBe(404);
  });

  it('a token without an expiry (exp) is 401', async () => {
    const token = await accessToken(jwks, { sub: 'user-0013', 'cognito:groups': ['admin'] }, { expiresIn: null });
    const response = await t.request('GET', '/api/admin/flags', { token });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'UNAUTHORIZED', message: expect.stringContaining('exp') });
  });

  it('a token without a subject is 401', async () => {
    const token = await accessToken(jwks, { 'cognito:groups': ['admin'] });
    expect((await t.request('GET', '/api/admin/flags', { token })).status).toBe(401);
  });

  it('garbage and malformed bearer values are 401', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', 'fl_not-a-real-token']) {
      const response = await t.request('GET', '/api/admin/flags', { token });
      expect(response.status, token).toBe(401);
      expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
    }
  });

  it('API tokens keep working alongside JWT auth', async () => {
    const viewerApi = apiClient(t, t.tokens.viewer);
    const viewer = await answer(viewerApi.GET('/api/admin/flags'));
    expect(viewer.status).toBe(200);
    expect((await answer(viewerApi.POST('/api/admin/flags', { body: { key: 'x' } }))).status).toBe(403);
    const client = await answer(
      apiClient(t, t.tokens.client).GET('/api/config/flags', { params: { query: { userId: 'u1' } } }),
    );
    expect(client.status).toBe(200);
    expect(client.body).toHaveProperty('jwt-admin-flag');
    const created = await answer(
      apiClient(t, t.tokens.admin).POST('/api/admin/flags', { body: { key: 'token-flag' } }),
    );
    expect(created.status).toBe(201);
  });

  it('FLAGLINE_ADMIN_TOKEN is accepted as an admin, recorded as actor FLAGLINE_ADMIN_TOKEN', async () => {
    const created = await answer(
      apiClient(t, ADMIN_TOKEN).POST('/api/admin/flags', { body: { key: 'automation-flag' } }),
    );
    expect(created.status).toBe(201);
    expect((await latestEvent('automation-flag'))?.actor).toEqual({
      type: 'token',
      id: 'FLAGLINE_ADMIN_TOKEN',
      email: null,
    });
    expect((await t.request('GET', '/api/admin/flags', { token: `${ADMIN_TOKEN}x` })).status).toBe(401);
  });
});

describe('OIDC / JWT auth with custom groups claim and group names', () => {
  let jwks: Jwks;
  let t: TestApp;

  beforeAll(async () => {
    jwks = await startJwksServer();
    t = await createTestApp('pglite', {
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: ISSUER,
      AUTH_ALLOW_ANY_AUDIENCE: 'true',
      AUTH_GROUPS_CLAIM: 'roles',
      AUTH_ADMIN_GROUPS: 'flag-owners, platform',
      AUTH_VIEWER_GROUPS: 'support',
    });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  it('admin groups come from AUTH_ADMIN_GROUPS in the AUTH_GROUPS_CLAIM claim', async () => {
    for (const [group, key] of [
      ['flag-owners', 'custom-claim-a'],
      ['platform', 'custom-claim-b'],
    ] as const) {
      const token = await accessToken(jwks, { sub: `owner-${group}`, email: 'o@example.com', roles: [group] });
      const created = await t.request('POST', '/api/admin/flags', { token, body: { key } });
      expect(created.status, group).toBe(201);
    }
  });

  it('a space-separated string claim works too', async () => {
    const token = await accessToken(jwks, { sub: 'owner-string', roles: 'everyone flag-owners' });
    expect((await t.request('POST', '/api/admin/flags', { token, body: { key: 'custom-claim-c' } })).status).toBe(201);
  });

  it('viewer groups come from AUTH_VIEWER_GROUPS', async () => {
    const token = await accessToken(jwks, { sub: 'support-1', roles: ['support'] });
    expect((await t.request('GET', '/api/admin/flags', { token })).status).toBe(200);
    expect((await t.request('POST', '/api/admin/flags', { token, body: { key: 'nope' } })).status).toBe(403);
  });

  it("the defaults no longer apply: 'admin' in cognito:groups or in the custom claim is not enough", async () => {
    const cognito = await accessToken(jwks, { sub: 'u-1', 'cognito:groups': ['admin', 'admins', 'viewer'] });
    expect((await t.request('GET', '/api/admin/flags', { token: cognito })).status).toBe(403);
    const defaultNames = await accessToken(jwks, { sub: 'u-2', roles: ['admin', 'viewer'] });
    expect((await t.request('GET', '/api/admin/flags', { token: defaultNames })).status).toBe(403);
  });

  it('without AUTH_AUDIENCE, with AUTH_ALLOW_ANY_AUDIENCE=true, any audience is accepted', async () => {
    const token = await accessToken(jwks, { sub: 'u-3', aud: 'anything', roles: ['support'] });
    expect((await t.request('GET', '/api/admin/flags', { token })).status).toBe(200);
  });
});

describe('OIDC / JWT auth when the key set cannot be fetched', () => {
  let jwks: Jwks;
  let t: TestApp;

  beforeAll(async () => {
    jwks = await startJwksServer();
    t = await createTestApp('pglite', { AUTH_JWKS_URL: jwks.url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: CLIENT_ID });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await jwks?.close();
  });

  it('answers 503 UNAVAILABLE (not 401, never 500) while the JWKS endpoint is failing, and recovers', async () => {
    const token = await accessToken(jwks, { sub: 'user-0009', 'cognito:groups': ['admin'] });
    for (const mode of ['connection-reset', 'http-500', 'not-json'] as const) {
      jwks.mode = mode;
      const response = await t.request('GET', '/api/admin/flags', { token });
      expect(response.status, mode).toBe(503);
      expect(response.body).toMatchObject({ error: 'UNAVAILABLE', requestId: expect.any(String) });
    }
    // API tokens do not depend on the identity provider.
    expect((await t.request('GET', '/api/admin/flags', { token: t.tokens.viewer })).status).toBe(200);

    jwks.mode = 'ok';
    expect((await t.request('GET', '/api/admin/flags', { token })).status).toBe(200);
  });

  it('keeps accepting tokens from keys it already fetched while the endpoint is down', async () => {
    const token = await accessToken(jwks, { sub: 'user-0010', 'cognito:groups': ['viewer'] });
    jwks.mode = 'ok';
    expect((await t.request('GET', '/api/admin/flags', { token })).status).toBe(200);
    jwks.mode = 'connection-reset';
    try {
      const later = await accessToken(jwks, { sub: 'user-0011', 'cognito:groups': ['viewer'] });
      expect((await t.request('GET', '/api/admin/flags', { token: later })).status).toBe(200);
    } finally {
      jwks.mode = 'ok';
    }
  });
});

describe('OIDC / JWT auth with another identity provider, and the explicit opt-outs', () => {
  const KEYCLOAK_ISSUER = 'https://sso.example.com/realms/flagline';
  let jwks: Jwks;
  let strict: TestApp;
  let anyIssuer: TestApp;
  const logs = captureLogs('warn');

  beforeAll(async () => {
    jwks = await startJwksServer();
    strict = await createTestApp('pglite', {
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: KEYCLOAK_ISSUER,
      AUTH_AUDIENCE: 'flagline-api',
    });
    anyIssuer = await createTestApp(
      'pglite',
      { AUTH_JWKS_URL: jwks.url, AUTH_ALLOW_ANY_ISSUER: 'true', AUTH_AUDIENCE: 'flagline-api' },
      { logger: logs.logger },
    );
  }, 180_000);
  afterAll(async () => {
    await strict?.close();
    await anyIssuer?.close();
    await jwks?.close();
  });

  const plainToken = (issuer: string, audience = 'flagline-api') =>
    accessToken(
      jwks,
      { sub: 'kc-user', aud: audience, token_use: undefined, client_id: undefined, 'cognito:groups': ['viewer'] },
      { issuer },
    );

  it('token_use is only asked of Cognito issuers: a standard OIDC access token without it is accepted', async () => {
    const token = await plainToken(KEYCLOAK_ISSUER);
    expect((await strict.request('GET', '/api/admin/flags', { token })).status).toBe(200);
    expect((await strict.request('GET', '/api/admin/flags', { token: await plainToken(ISSUER) })).status).toBe(401);
    const wrongAudience = await plainToken(KEYCLOAK_ISSUER, 'another-api');
    expect((await strict.request('GET', '/api/admin/flags', { token: wrongAudience })).status).toBe(401);
  });

  it('AUTH_ALLOW_ANY_ISSUER=true accepts any issuer, says so in a warning at start, and still checks the rest', async () => {
    for (const issuer of [KEYCLOAK_ISSUER, 'https://somewhere-else.example.org']) {
      const token = await plainToken(issuer);
      expect((await anyIssuer.request('GET', '/api/admin/flags', { token })).status, issuer).toBe(200);
    }
    const warnings = logs.entries().filter((entry) => entry.level === 40);
    expect(warnings.map((entry) => entry.msg)).toEqual([expect.stringContaining('AUTH_ALLOW_ANY_ISSUER=true')]);
    // The audience, the expiry and Cognito's token_use are checked whatever the issuer.
    expect(
      (await anyIssuer.request('GET', '/api/admin/flags', { token: await plainToken(KEYCLOAK_ISSUER, 'x') })).status,
    ).toBe(401);
    const noExpiry = await accessToken(
      jwks,
      { sub: 'kc-user', aud: 'flagline-api', 'cognito:groups': ['viewer'] },
      { issuer: KEYCLOAK_ISSUER, expiresIn: null },
    );
    expect((await anyIssuer.request('GET', '/api/admin/flags', { token: noExpiry })).status).toBe(401);
    const cognitoIdToken = await accessToken(jwks, {
      sub: 'kc-user',
      aud: 'flagline-api',
      token_use: 'id',
      'cognito:groups': ['viewer'],
    });
    expect((await anyIssuer.request('GET', '/api/admin/flags', { token: cognitoIdToken })).status).toBe(401);
  });
});
