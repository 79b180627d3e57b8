import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { freePort, killAllFlaglines, spawnFlagline, startServe, waitForHealthy } from '../helpers/processes';
import { adminCall, changes, createToken, EventReader, startRelayProcess, waitUntil } from '../helpers/relay-fixtures';

const ADMIN_TOKEN = 'relay-restart-admin-token-0123456789abc';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(postgresBackends())('a relay rides out an upstream restart (%s)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await killAllFlaglines();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps answering from its snapshot while the upstream is down, reports stale, and misses no change', async () => {
    const database = await createPostgresDatabase();
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN, HOST: '127.0.0.1' };
    // The relay's upstream, on a port it gets back when it restarts; changes are made on the other instance.
    const upstreamPort = await freePort();
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const startUpstream = async () => {
      const flagline = spawnFlagline(['serve'], { ...env, PORT: String(upstreamPort) });
      await waitForHealthy(flagline, `${upstreamUrl}/readyz`);
      return flagline;
    };
    let upstream = await startUpstream();
    const other = await startServe(env);
    for (const key of ['during-outage', 'after-outage']) {
      await adminCall(other.url, ADMIN_TOKEN, 'POST', '/api/admin/flags', { key });
    }
    const token = await createToken(other.url, ADMIN_TOKEN, { name: 'relay', role: 'server' });
    const relay = await startRelayProcess(upstreamUrl, token.secret);
    const reader = new EventReader(`${relay.url}/api/client/stream`, token.secret);
    await reader.open();
    const snapshot = await reader.waitFor((event) => event.event === 'snapshot');
    const auth = { authorization: `Bearer ${token.secret}` };
    const evaluate = async () => {
      const response = await fetch(`${relay.url}/api/config/flags?userId=someone`, { headers: auth });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, boolean>;
    };
    expect(await evaluate()).toEqual({ 'after-outage': false, 'during-outage': false });

    await upstream.stop('SIGKILL');
    await waitUntil(
      async () => ((await (await fetch(`${relay.url}/readyz`)).json()) as { stale: boolean }).stale,
      'the relay reports itself stale',
    );
    const readiness = await fetch(`${relay.url}/readyz?verbose`);
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toMatchObject({
      status: 'ready',
      stale: true,
      checks: { upstream: { status: 'disconnected' }, snapshot: { status: 'loaded' } },
    });
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/^flagline_relay_upstream_connected 0$/m);
    expect(metrics).toMatch(/^flagline_relay_snapshot_age_seconds \d/m);

    // A change while the relay cannot hear of it; the relay keeps answering from what it has.
    await adminCall(other.url, ADMIN_TOKEN, 'PATCH', '/api/admin/flags/during-outage?environment=production', {
      enabled: true,
      rolloutPercentage: 100,
    });
    await sleep(500);
    expect(await evaluate()).toEqual({ 'after-outage': false, 'during-outage': false });
    expect(reader.hasEnded()).toBe(false);

    upstream = await startUpstream();
    const missed = await reader.waitFor(changes('during-outage'), 30_000);
    await waitUntil(
      async () => !((await (await fetch(`${relay.url}/readyz`)).json()) as { stale: boolean }).stale,
      'the relay is current again',
    );
    expect(await evaluate()).toEqual({ 'after-outage': false, 'during-outage': true });

    await adminCall(other.url, ADMIN_TOKEN, 'PATCH', '/api/admin/flags/after-outage?environment=production', {
      enabled: true,
      rolloutPercentage: 100,
    });
    const after = await reader.waitFor(changes('after-outage'));
    expect(reader.hasEnded()).toBe(false);
    const ids = reader.events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Number(missed.id)).toBeGreaterThan(Number(snapshot.id));
    expect(Number(after.id)).toBeGreaterThan(Number(missed.id));
    expect(await evaluate()).toEqual({ 'after-outage': true, 'during-outage': true });
    const reconnected = await (await fetch(`${relay.url}/metrics`)).text();
    expect(reconnected).toMatch(/^flagline_relay_upstream_connected 1$/m);
    reader.close();
    await Promise.all([relay.flagline.stop(), upstream.stop(), other.flagline.stop()]);
  }, 240_000);
});
