import type { CreatedToken } from '@flagline/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { killAllFlaglines, type StartedServer, startServe } from '../helpers/processes';

const ADMIN_TOKEN = 'stream-revocation-admin-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LiveStream {
  /** Resolves with performance.now() when the server ends the stream. */
  ended: Promise<number>;
  hasEnded(): boolean;
  text(): string;
  close(): void;
}

async function openStream(server: StartedServer, secret: string): Promise<LiveStream> {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/api/client/stream`, {
    headers: { authorization: `Bearer ${secret}` },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  const body = response.body;
  if (!body) throw new Error('the stream has no body');
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const endedAt = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted by the test
    }
    ended = true;
    return performance.now();
  })();
  const deadline = Date.now() + 10_000;
  while (!text.includes('event: snapshot') && !ended && Date.now() < deadline) await sleep(10);
  expect(text).toContain('event: snapshot');
  return { ended: endedAt, hasEnded: () => ended, text: () => text, close: () => abort.abort() };
}

describe.each(postgresBackends())('revocation ends streams on every instance (%s)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await killAllFlaglines();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('two flagline serve processes on one PostgreSQL: revoking on one ends the token’s streams on both within 1 s', async () => {
    const database = await createPostgresDatabase();
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN };
    const first = await startServe(env);
    const second = await startServe(env);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const createToken = async (name: string): Promise<CreatedToken> => {
      const response = await fetch(`${first.url}/api/admin/tokens`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name, role: 'server', environment: 'production' }),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as CreatedToken;
    };
    const doomed = await createToken('doomed');
    const kept = await createToken('kept');
    const doomedStreams = [
      await openStream(first, doomed.secret),
      await openStream(second, doomed.secret),
      await openStream(second, doomed.secret),
    ];
    const keptStreams = [await openStream(first, kept.secret), await openStream(second, kept.secret)];

    const revokedAt = performance.now();
    const revoked = await fetch(`${first.url}/api/admin/tokens/${doomed.id}`, {
      method: 'DELETE',
      headers: { authorization: admin.authorization },
    });
    expect(revoked.status).toBe(204);
    const endings = await Promise.race([
      Promise.all(doomedStreams.map((stream) => stream.ended)),
      sleep(3000).then(() => undefined),
    ]);
    expect(endings, 'every stream of the revoked token ended').toBeDefined();
    for (const endedAt of endings ?? []) expect(endedAt - revokedAt).toBeLessThan(1000);

    await sleep(200);
    expect(keptStreams.map((stream) => stream.hasEnded())).toEqual([false, false]);
    for (const server of [first, second]) {
      const again = await fetch(`${server.url}/api/client/stream`, {
        headers: { authorization: `Bearer ${doomed.secret}` },
      });
      expect(again.status).toBe(401);
      await again.body?.cancel();
    }
    for (const stream of keptStreams) stream.close();
    await Promise.all([first.flagline.stop(), second.flagline.stop()]);
  }, 240_000);
});
