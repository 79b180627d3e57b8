import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import { type Database, openDatabase } from '../../src/db/client';
import { apiTokens, configState } from '../../src/db/schema';
import { type ChangeNotice, parseChangeNotice } from '../../src/db/unit-of-work';
import type { SnapshotStore } from '../../src/delivery/snapshot';
import { composeRuntime } from '../../src/runtime';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectStatus } from '../helpers/http';

/** What an instance's snapshot did: every notice it received (its own commits and NOTIFYs) and every reload. */
interface Observed {
  notices: (ChangeNotice | undefined)[];
  handled: Promise<void>[];
  reloads: number;
}

function observe(snapshot: SnapshotStore): Observed {
  const observed: Observed = { notices: [], handled: [], reloads: 0 };
  const receive = snapshot.receive.bind(snapshot);
  snapshot.receive = (notice) => {
    observed.notices.push(notice);
    const handled = receive(notice);
    observed.handled.push(handled);
    return handled;
  };
  snapshot.onChange(() => {
    observed.reloads++;
  });
  return observed;
}

/**
 * A second API instance on the test app's database, as another replica would run: its own snapshot and
 * authenticator (and on PostgreSQL its own connections, LISTEN included); on PGlite it shares the one connection.
 */
async function secondInstance(t: TestApp) {
  const url = t.testDatabase.url;
  const database: Database = url ? await openDatabase({ databaseUrl: url, poolSize: 2 }) : t.deps.database;
  const { stop, ...deps } = await composeRuntime(database, t.deps.config, t.deps.logger);
  const app = createApp(deps);
  return {
    snapshot: deps.snapshot,
    get: (path: string, token: string) => app.request(path, { headers: { authorization: `Bearer ${token}` } }),
    async close() {
      await stop();
      if (url) await database.close();
    },
  };
}

describe.each(testBackends())('change propagation between instances (%s)', (backend) => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof secondInstance>>;
  let first: Observed;
  let second: Observed;
  beforeAll(async () => {
    t = await createTestApp(backend);
    other = await secondInstance(t);
    first = observe(t.deps.snapshot);
    second = observe(other.snapshot);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const configVersion = async () => {
    const [row] = await t.deps.database.db.select({ version: configState.version }).from(configState);
    return row?.version;
  };
  /** Waits until both instances have received and handled the notices of everything committed so far. */
  const settled = async (expected: { first: number; second: number }, match: (notice: ChangeNotice) => boolean) => {
    const count = (observed: Observed) => observed.notices.filter((notice) => notice && match(notice)).length;
    await vi.waitFor(
      () => {
        expect(count(first)).toBe(expected.first);
        expect(count(second)).toBe(expected.second);
      },
      { timeout: 5_000 },
    );
    await Promise.all([...first.handled, ...second.handled]);
  };
  const api = () => apiClient(t);
  const createFlag = async (key: string) =>
    expectStatus(await answer(api().POST('/api/admin/flags', { body: { key } })), 201);
  const evaluateAs = (token: string) => answer(apiClient(t, token).GET('/api/config/flags'));
  const revokeToken = async (id: string) =>
    expectStatus(await answer(api().DELETE('/api/admin/tokens/{id}', { params: { path: { id } } })), 204);
  /** A production client token, verified (and so cached) by both instances. */
  const clientTokenSeenByBoth = async (name: string) => {
    const created = expectStatus(
      await answer(api().POST('/api/admin/tokens', { body: { name, role: 'client', environment: 'production' } })),
      201,
    );
    await vi.waitFor(async () => expect((await other.get('/api/config/flags', created.secret)).status).toBe(200));
    expect((await evaluateAs(created.secret)).status).toBe(200);
    return created;
  };

  it('reloads each instance once for a flag change: the one that made it and every other', async () => {
    const reloads = { first: first.reloads, second: second.reloads };
    await createFlag('propagation-once');
    const version = await configVersion();
    // The instance that made the change hears of it twice (its own commit, then the NOTIFY), the other once.
    await settled({ first: 2, second: 1 }, (notice) => notice.configVersion === version);
    expect(first.reloads - reloads.first).toBe(1);
    expect(second.reloads - reloads.second).toBe(1);
    for (const snapshot of [t.deps.snapshot, other.snapshot]) {
      expect(snapshot.current.version).toBe(version);
      expect(snapshot.current.environments.get('production')?.flags.has('propagation-once')).toBe(true);
    }
  });

  it('does not bump config_state or reload anything for token, webhook and schedule changes', async () => {
    await createFlag('propagation-quiet');
    const before = await configVersion();
    await settled({ first: 2, second: 1 }, (notice) => notice.configVersion === before);
    const reloads = { first: first.reloads, second: second.reloads };
    const noticesBefore = { first: first.notices.length, second: second.notices.length };

    const token = expectStatus(
      await answer(api().POST('/api/admin/tokens', { body: { name: 'quiet', role: 'viewer' } })),
      201,
    );
    await revokeToken(token.id);
    const webhook = expectStatus(
      await answer(api().POST('/api/admin/webhooks', { body: { url: 'https://example.com/hook' } })),
      201,
    );
    expectStatus(await answer(api().DELETE('/api/admin/webhooks/{id}', { params: { path: { id: webhook.id } } })), 204);
    const schedule = expectStatus(
      await answer(
        api().POST('/api/admin/flags/{flagKey}/schedule', {
          params: { path: { flagKey: 'propagation-quiet' } },
          body: { scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), updates: { enabled: true } },
        }),
      ),
      201,
    );
    expectStatus(
      await answer(
        api().DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey: 'propagation-quiet', scheduleId: schedule.id } },
        }),
      ),
      200,
    );

    // Six changes, each still announced (the webhook dispatcher wakes for its deliveries), none with a config version.
    const received = (observed: Observed, from: number) => observed.notices.slice(from);
    await vi.waitFor(() => expect(received(second, noticesBefore.second)).toHaveLength(6), { timeout: 5_000 });
    // The first instance hears each change twice (its own commit, then the NOTIFY), and the NOTIFY may still be on its way.
    await vi.waitFor(() => expect(received(first, noticesBefore.first)).toHaveLength(12), { timeout: 5_000 });
    await Promise.all([...first.handled, ...second.handled]);
    for (const notice of [...received(first, noticesBefore.first), ...received(second, noticesBefore.second)]) {
      expect(notice?.configVersion).toBeNull();
    }
    expect(received(second, noticesBefore.second).map((notice) => notice?.tokens)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(await configVersion()).toBe(before);
    expect(first.reloads).toBe(reloads.first);
    expect(second.reloads).toBe(reloads.second);
    expect([t.deps.snapshot.current.version, other.snapshot.current.version]).toEqual([before, before]);
  });

  it('stops a revoked token on the other instance at once, without a reload', async () => {
    // Each instance caches the token for 30 s unless told otherwise.
    const created = await clientTokenSeenByBoth('revoked elsewhere');
    const reloads = second.reloads;

    await revokeToken(created.id);
    // Well inside the cache's 30 s: the notice reached the other instance's authenticator.
    await vi.waitFor(async () => expect((await other.get('/api/config/flags', created.secret)).status).toBe(401), {
      timeout: 5_000,
    });
    expect((await evaluateAs(created.secret)).status).toBe(401);
    expect(second.reloads).toBe(reloads);
  });

  it('stops a revoked token on every instance even when its notification is lost (the version poll sees it)', async () => {
    const created = await clientTokenSeenByBoth('revoked quietly');
    // Revoked behind the API's back: no audit event, no NOTIFY, as if the notification had been lost.
    await t.deps.database.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, created.id));
    await vi.waitFor(
      async () => {
        expect((await other.get('/api/config/flags', created.secret)).status).toBe(401);
        expect((await evaluateAs(created.secret)).status).toBe(401);
      },
      { timeout: 5_000 },
    );
  });
});

describe('change notices', () => {
  it('reads what runChange sends, and nothing else', () => {
    expect(parseChangeNotice('{"configVersion":12,"tokens":false}')).toEqual({ configVersion: 12, tokens: false });
    expect(parseChangeNotice('{"configVersion":null,"tokens":true}')).toEqual({ configVersion: null, tokens: true });
    // As PostgreSQL's json_build_object writes it: the flags a change touched, or null when it may reach further.
    expect(parseChangeNotice('{"configVersion" : 13, "tokens" : false, "flagKeys" : ["a", "b"]}')).toEqual({
      configVersion: 13,
      tokens: false,
      flagKeys: ['a', 'b'],
    });
    expect(parseChangeNotice('{"configVersion" : 14, "tokens" : false, "flagKeys" : null}')).toEqual({
      configVersion: 14,
      tokens: false,
    });
    expect(parseChangeNotice('{"configVersion":15,"tokens":false,"flagKeys":["a",3]}')).toEqual({
      configVersion: 15,
      tokens: false,
    });
    // An older instance's bare version, an empty payload or anything else: the receiver assumes anything changed.
    for (const payload of ['12', '', 'null', '{"configVersion":"12","tokens":false}', '{"configVersion":1.5}']) {
      expect(parseChangeNotice(payload)).toBeUndefined();
    }
  });
});
