import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllFlaglines, runFlagline, type StartedServer } from '../helpers/processes';
import {
  adminCall,
  changes,
  contextAt,
  createToken,
  type Endpoint,
  EventReader,
  startRelayProcess,
  startSeededRelay,
} from '../helpers/relay-fixtures';

const ADMIN_TOKEN = 'relay-test-admin-token-0123456789abcdef';
const CONTEXTS = 10_000;
const CONCURRENCY = 16;

/** Runs `work` for 0..count-1, `CONCURRENCY` at a time. */
async function forEachIndex(count: number, work: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) await work(n);
    }),
  );
}

describe('flagline relay (processes: a server on its embedded database, relays in front of it)', () => {
  let dataDir: string;
  let server: StartedServer;
  let relay: Endpoint;
  let serverToken: { id: string; secret: string };

  beforeAll(async () => {
    ({ dataDir, server, serverToken, relay } = await startSeededRelay({ adminToken: ADMIN_TOKEN, name: 'relay' }));
  }, 240_000);

  afterAll(async () => {
    await killAllFlaglines();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('relay --help prints the usage and starts nothing; a token the upstream refuses stops the relay with exit 1', async () => {
    const result = await runFlagline(['relay', '--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--upstream <url>');
    expect(result.stdout).toContain('--token <secret>');
    const missing = await runFlagline(['relay', '--token', 'x'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--upstream');
    const refused = await runFlagline(
      ['relay', '--upstream', server.url, '--token', 'fl_not_a_token', '--port', '0'],
      {},
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--token: the upstream');
  });

  it(`answers exactly as the upstream for ${CONTEXTS} contexts (OFREP bulk with ETags, and /api/config/flags, byte for byte)`, async () => {
    const auth = { authorization: `Bearer ${serverToken.secret}` };
    const ruleset = async (url: string) => (await fetch(`${url}/api/client/flags`, { headers: auth })).text();
    const upstreamRuleset = await ruleset(server.url);
    expect(upstreamRuleset).toContain('"segments"');
    expect(await ruleset(relay.url)).toBe(upstreamRuleset);
    let differences = 0;
    const seenValues = new Set<string>();
    await forEachIndex(CONTEXTS, async (n) => {
      const body = JSON.stringify({ context: contextAt(n) });
      const ofrep = (url: string) =>
        fetch(`${url}/ofrep/v1/evaluate/flags`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body,
        });
      const config = (url: string) => fetch(`${url}/api/config/flags?userId=user-${n}`, { headers: auth });
      const [a, b] = await Promise.all([ofrep(server.url), ofrep(relay.url)]);
      const [aText, bText] = await Promise.all([a.text(), b.text()]);
      if (a.status !== 200 || aText !== bText || a.headers.get('etag') !== b.headers.get('etag')) differences += 1;
      // The origin's answer reads the user id alone: every fifth context covers its users.
      if (n % 5 === 0) {
        const [c, d] = await Promise.all([config(server.url), config(relay.url)]);
        const [cText, dText] = await Promise.all([c.text(), d.text()]);
        if (c.status !== 200 || cText !== dText) differences += 1;
      }
      for (const flag of (JSON.parse(aText) as { flags: { key: string; variant?: string }[] }).flags) {
        seenValues.add(`${flag.key}=${flag.variant}`);
      }
    });
    expect(differences).toBe(0);
    // The contexts reach every branch: each variant of each typed flag is served somewhere.
    for (const expected of ['relay-colour=red', 'relay-colour=green', 'relay-colour=blue', 'relay-discount=some']) {
      expect(seenValues).toContain(expected);
    }
    expect(seenValues).toContain('relay-layout=wide');
    expect(seenValues).toContain('relay-layout=compact');
  }, 420_000);

  it('re-streams changes with the upstream’s ids, resumes with Last-Event-ID, and a chain of two relays propagates a change', async () => {
    const chained = await startRelayProcess(relay.url, serverToken.secret);
    const behindChain = new EventReader(`${chained.url}/api/client/stream`, serverToken.secret);
    const behindRelay = new EventReader(`${relay.url}/api/client/stream`, serverToken.secret);
    await Promise.all([behindChain.open(), behindRelay.open()]);
    const first = await behindChain.waitFor((event) => event.event === 'snapshot');
    await adminCall(server.url, ADMIN_TOKEN, 'PATCH', '/api/admin/flags/relay-off?environment=production', {
      enabled: true,
    });
    const viaChain = await behindChain.waitFor(changes('relay-off'));
    const viaRelay = await behindRelay.waitFor(changes('relay-off'));
    expect(viaChain.id).toBe(viaRelay.id);
    expect(Number(viaChain.id)).toBeGreaterThan(Number(first.id));
    const direct = await fetch(`${server.url}/api/client/flags`, {
      headers: { authorization: `Bearer ${serverToken.secret}` },
    });
    expect((await direct.json()) as { version: number }).toMatchObject({ version: Number(viaChain.id) });
    // A new flag takes its place in the upstream's order on the relays too.
    await adminCall(server.url, ADMIN_TOKEN, 'POST', '/api/admin/flags', { key: 'relay-aaa-new' });
    await behindChain.waitFor(changes('relay-aaa-new'));
    const bodies = await Promise.all(
      [server.url, relay.url, chained.url].map(async (url) =>
        (await fetch(`${url}/api/client/flags`, { headers: { authorization: `Bearer ${serverToken.secret}` } })).text(),
      ),
    );
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    // Resuming from the first snapshot's version on the chained relay gives the changes since, not a snapshot.
    const resumed = await fetch(`${chained.url}/api/client/stream`, {
      headers: { authorization: `Bearer ${serverToken.secret}`, 'last-event-id': String(first.id) },
    });
    const reader = resumed.body?.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (reader && !text.includes('relay-aaa-new')) text += (await reader.read()).value ?? '';
    await reader?.cancel();
    expect(text).not.toContain('event: snapshot');
    expect(text).toContain(`id: ${viaChain.id}`);
    behindChain.close();
    behindRelay.close();
    await chained.flagline.stop();
  }, 120_000);

  it('a frontend token on the relay: no ruleset (403), evaluated values with the upstream’s CORS', async () => {
    const frontend = await createToken(server.url, ADMIN_TOKEN, {
      name: 'browser',
      role: 'frontend',
      allowedOrigins: ['https://app.example'],
    });
    const auth = { authorization: `Bearer ${frontend.secret}` };
    for (const path of ['/api/client/flags', '/api/client/stream', '/api/config/flags/relay-colour']) {
      const [upstream, relayed] = (await Promise.all(
        [server.url, relay.url].map((url) => fetch(`${url}${path}`, { headers: auth })),
      )) as [Response, Response];
      expect(relayed.status, path).toBe(403);
      expect(upstream.status, path).toBe(403);
      const body = await relayed.text();
      expect(body).not.toContain('user-3');
      await upstream.body?.cancel();
    }
    for (const origin of ['https://app.example', 'https://evil.example']) {
      const answers = await Promise.all(
        [server.url, relay.url].map((url) =>
          fetch(`${url}/ofrep/v1/evaluate/flags`, {
            method: 'POST',
            headers: { ...auth, origin, 'content-type': 'application/json' },
            body: JSON.stringify({ context: contextAt(4) }),
          }),
        ),
      );
      const [upstream, relayed] = answers as [Response, Response];
      expect(relayed.status).toBe(200);
      expect(relayed.headers.get('access-control-allow-origin')).toBe(
        upstream.headers.get('access-control-allow-origin'),
      );
      expect(await relayed.text()).toBe(await upstream.text());
    }
    const values = (await Promise.all(
      [server.url, relay.url].map((url) =>
        fetch(`${url}/api/config/flags?userId=user-3`, { headers: { ...auth, origin: 'https://app.example' } }),
      ),
    )) as [Response, Response];
    expect(values[1].status).toBe(200);
    expect(values[1].headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await values[1].text()).toBe(await values[0].text());
    const preflight = await fetch(`${relay.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const notices = new EventReader(`${relay.url}/api/config/stream`, frontend.secret);
    await notices.open();
    await notices.waitFor((event) => event.event === 'ready');
    notices.close();
  });

  it('OFREP configuration and single-flag evaluation as upstream; admin routes 404 naming the upstream; bad credentials 401', async () => {
    const admin = await fetch(`${relay.url}/api/admin/flags`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.status).toBe(404);
    expect(await admin.text()).toContain(server.url);
    const configurations = await Promise.all(
      [server.url, relay.url].map(async (url) =>
        (await fetch(`${url}/ofrep/v1/configuration`, { headers: { 'x-api-key': serverToken.secret } })).text(),
      ),
    );
    expect(configurations[1]).toBe(configurations[0]);
    const flag = await Promise.all(
      [server.url, relay.url].map(async (url) =>
        (
          await fetch(`${url}/ofrep/v1/evaluate/flags/relay-colour`, {
            method: 'POST',
            headers: { authorization: `Bearer ${serverToken.secret}`, 'content-type': 'application/json' },
            body: JSON.stringify({ context: contextAt(7) }),
          })
        ).text(),
      ),
    );
    expect(flag[1]).toBe(flag[0]);
    const bad = await fetch(`${relay.url}/api/config/flags`, { headers: { authorization: 'Bearer fl_not_a_token' } });
    expect(bad.status).toBe(401);
  });

  it('revoking a token on the upstream ends its streams on a relay and on a chained relay within 1 s', async () => {
    const chained = await startRelayProcess(relay.url, serverToken.secret);
    try {
      const doomed = await createToken(server.url, ADMIN_TOKEN, { name: 'doomed', role: 'server' });
      const kept = new EventReader(`${relay.url}/api/client/stream`, serverToken.secret);
      const streams = [relay.url, chained.url].map((url) => new EventReader(`${url}/api/client/stream`, doomed.secret));
      await Promise.all([kept, ...streams].map((reader) => reader.open()));
      for (const stream of streams) await stream.waitFor((event) => event.event === 'snapshot');
      const revokedAt = performance.now();
      await adminCall(server.url, ADMIN_TOKEN, 'DELETE', `/api/admin/tokens/${doomed.id}`);
      const ended = await Promise.all(
        streams.map(async (stream) => ((await stream.waitForEnd(1_000)) ? performance.now() - revokedAt : undefined)),
      );
      expect(
        ended.every((ms) => ms !== undefined && ms < 1_000),
        `ended after ${JSON.stringify(ended)} ms`,
      ).toBe(true);
      // The relay passes the event on to its own server streams (that is how the chained relay heard of it).
      await kept.waitFor((event) => event.event === 'credentials' && event.id === undefined && event.data === '{}');
      expect(kept.hasEnded()).toBe(false);
      kept.close();
      for (const url of [relay.url, chained.url]) {
        const again = await fetch(`${url}/api/client/stream`, {
          headers: { authorization: `Bearer ${doomed.secret}` },
        });
        expect(again.status).toBe(401);
      }
    } finally {
      await chained.flagline.stop();
    }
  });
});
