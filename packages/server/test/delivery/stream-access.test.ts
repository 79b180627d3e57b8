import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatedToken } from '@flagline/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, useTestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { expectError, expectStatus } from '../helpers/http';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OpenedStream {
  response: Response;
  /** Everything read so far. */
  text(): string;
  /** Resolves with the milliseconds since it was opened when the server ends the stream. */
  ended: Promise<number>;
  /** Whether the server has ended it. */
  hasEnded(): boolean;
  close(): Promise<void>;
}

/** Opens the SSE stream in process and keeps reading it, so the reader never stalls. */
async function openStream(t: TestApp, authorization: string, path = '/api/client/stream'): Promise<OpenedStream> {
  const opened = performance.now();
  const response = await t.app.request(path, { headers: { authorization } });
  if (response.status !== 200 || !response.body) return failed(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const endedAt = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    ended = true;
    return performance.now() - opened;
  })();
  return {
    response,
    text: () => text,
    ended: endedAt,
    hasEnded: () => ended,
    close: async () => {
      await reader.cancel().catch(() => undefined);
    },
  };
}

function failed(response: Response): OpenedStream {
  return {
    response,
    text: () => '',
    ended: Promise.resolve(0),
    hasEnded: () => true,
    close: async () => {
      await response.body?.cancel();
    },
  };
}

/** Rejects when `promise` takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`${what} did not happen within ${ms} ms`);
    }),
  ]);
}

async function waitForText(stream: OpenedStream, needle: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!stream.text().includes(needle)) {
    if (Date.now() > deadline) throw new Error(`the stream never carried ${needle}: ${stream.text()}`);
    await sleep(10);
  }
}

async function serverToken(t: TestApp, name = 'stream'): Promise<CreatedToken> {
  return expectStatus(
    await t.request<CreatedToken>('POST', '/api/admin/tokens', {
      body: { name, role: 'server', environment: 'production' },
    }),
    201,
  );
}

describe.each(testBackends())('streams end when access ends (%s)', (backend) => {
  describe('revocation, cap and slow readers', () => {
    const t = useTestApp(backend, { SSE_MAX_STREAMS_PER_TOKEN: '2', SSE_MAX_QUEUED_EVENTS: '3' });

    it('revoking a token ends its open streams within 1 s; other tokens keep theirs', async () => {
      const doomed = await serverToken(t, 'doomed');
      const kept = await serverToken(t, 'kept');
      const streams = [await openStream(t, `Bearer ${doomed.secret}`), await openStream(t, `Bearer ${doomed.secret}`)];
      const other = await openStream(t, `Bearer ${kept.secret}`);
      for (const stream of [...streams, other]) await waitForText(stream, 'event: snapshot');
      const revokedAt = performance.now();
      expectStatus(await t.request('DELETE', `/api/admin/tokens/${doomed.id}`), 204);
      for (const stream of streams) {
        await within(stream.ended, 1000, 'the revoked token’s stream ending');
      }
      expect(performance.now() - revokedAt).toBeLessThan(1000);
      await sleep(100);
      expect(other.hasEnded()).toBe(false);
      // The streams that stay are told tokens changed (a relay behind them checks its own streams at once), with no id:
      // a config version is all Last-Event-ID may hold.
      await waitForText(other, 'event: credentials');
      expect(other.text()).toMatch(/\nevent: credentials\ndata: \{\}\n\n/);
      // The revoked token cannot open another.
      expectError(await t.request('GET', '/api/client/stream', { token: doomed.secret }), 401, 'UNAUTHORIZED');
      await other.close();
    });

    it('a credential over SSE_MAX_STREAMS_PER_TOKEN gets 429 with Retry-After; closing one frees its slot', async () => {
      const token = await serverToken(t, 'capped');
      const first = await openStream(t, `Bearer ${token.secret}`);
      const second = await openStream(t, `Bearer ${token.secret}`);
      await waitForText(second, 'event: snapshot');
      const third = await t.request('GET', '/api/client/stream', { token: token.secret });
      expectError(third, 429, 'RATE_LIMITED');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another credential is counted apart.
      const other = await openStream(t, `Bearer ${t.tokens.client}`);
      expect(other.response.status).toBe(200);
      await first.close();
      await within(first.ended, 1000, 'the closed stream ending');
      let reopened: OpenedStream | undefined;
      for (let attempt = 0; attempt < 50 && reopened?.response.status !== 200; attempt++) {
        await sleep(20);
        reopened = await openStream(t, `Bearer ${token.secret}`);
      }
      expect(reopened?.response.status).toBe(200);
      await Promise.all([second.close(), other.close(), reopened?.close()]);
    });

    it('a reader that stops reading is dropped once SSE_MAX_QUEUED_EVENTS changes wait for it', async () => {
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'busy-flag' } }), 201);
      const token = await serverToken(t, 'stalled');
      // Never read: every write waits on it, so changes queue up.
      const stalled = await t.app.request('/api/client/stream', {
        headers: { authorization: `Bearer ${token.secret}` },
      });
      expect(stalled.status).toBe(200);
      const reading = await openStream(t, `Bearer ${t.tokens.client}`);
      await waitForText(reading, 'event: snapshot');
      for (let i = 1; i <= 6; i++) {
        expectStatus(
          await t.request('PATCH', '/api/admin/flags/busy-flag', { body: { rolloutPercentage: i * 10 } }),
          200,
        );
      }
      await waitForText(reading, '"rolloutPercentage":60');
      // The stalled stream has been ended: reading it now finds its end rather than six queued changes.
      const body = stalled.body;
      if (!body) throw new Error('the stream has no body');
      const text = await within(new Response(body).text(), 2000, 'the stalled stream ending');
      expect(text).not.toContain('"rolloutPercentage":60');
      expect(reading.hasEnded()).toBe(false);
      // Its slot was given back.
      const again = await openStream(t, `Bearer ${token.secret}`);
      const again2 = await openStream(t, `Bearer ${token.secret}`);
      expect([again.response.status, again2.response.status]).toEqual([200, 200]);
      await Promise.all([reading.close(), again.close(), again2.close()]);
    });
  });

  describe('maximum lifetime', () => {
    const t = useTestApp(backend, { SSE_MAX_LIFETIME_MS: '1000' });

    it('ends a stream after SSE_MAX_LIFETIME_MS, having told the client to reconnect after retry:', async () => {
      const stream = await openStream(t, `Bearer ${t.tokens.client}`);
      await waitForText(stream, 'event: snapshot');
      expect(stream.text()).toMatch(/^retry: 1000$/m);
      const lifetime = await within(stream.ended, 3000, 'the stream reaching its maximum lifetime');
      expect(lifetime).toBeGreaterThanOrEqual(900);
    });
  });
});

describe('an OIDC access token’s stream ends at its exp', () => {
  const ISSUER = 'https://issuer.example.com';
  let t: TestApp;
  let server: Server;
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    t = await createTestApp('pglite', {
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      AUTH_ISSUER: ISSUER,
      AUTH_ALLOW_ANY_AUDIENCE: 'true',
      AUTH_GROUPS_CLAIM: 'groups',
    });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('closes the stream when the token expires, though the stream lifetime is longer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ groups: ['viewer'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(key);
    const stream = await openStream(t, `Bearer ${jwt}`, '/api/client/stream?environment=production');
    expect(stream.response.status).toBe(200);
    await waitForText(stream, 'event: snapshot');
    const endsAt = (now + 2) * 1000;
    await within(stream.ended, endsAt - Date.now() + 1000, 'the stream ending at exp');
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt - 50);
  });
});
