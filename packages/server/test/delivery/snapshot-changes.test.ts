import type { EvaluationContext } from '@flagline/core';
import { describe, expect, it } from 'vitest';
import type { ChangeNotice } from '../../src/db/unit-of-work';
import { type ConfigSnapshot, type LoadedSnapshot, loadSnapshot } from '../../src/delivery/load-snapshot';
import { loadFlagChanges } from '../../src/delivery/snapshot-changes';
import { useTestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { writeSegment } from '../helpers/targeting';

const CONTEXTS: EvaluationContext[] = [
  { targetingKey: 'alice', country: 'DE', plan: 'pro' },
  { targetingKey: 'bob', country: 'US', plan: 'free' },
  { targetingKey: 'carol', country: 'FR' },
  { targetingKey: 'user-17' },
];
const USERS = ['alice', 'bob', 'carol', 'dave'];
const ENVIRONMENTS = ['production', 'development'];

/** Everything a snapshot serves or compares on, in plain data: two snapshots that give the same are the same. */
function served(snapshot: ConfigSnapshot) {
  return {
    version: snapshot.version,
    environments: [...snapshot.environments].map(([key, environment]) => ({
      key,
      ruleset: environment.rulesetBody(),
      readsAttributes: environment.readsAttributes,
      flags: [...environment.flags.values()].map((flag) => ({
        key: flag.key,
        description: flag.description,
        enabled: flag.enabled,
        rolloutPercentage: flag.rolloutPercentage,
        type: flag.type,
        plain: flag.plain,
        segmentKeys: flag.segmentKeys,
        overrides: [...flag.overrides].sort(([a], [b]) => (a < b ? -1 : 1)),
        ruleset: flag.ruleset,
      })),
      ofrep: CONTEXTS.map((context) => environment.ofrepBulkJson(context)),
      config: USERS.map((user) => environment.evaluateAllJson(user)),
    })),
  };
}

/** A small deterministic generator, so a failure replays (the seed is in the test name). */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}

describe.each(testBackends())('incremental snapshot reload (%s)', (backend) => {
  const t = useTestApp(backend);
  const ok = async (method: string, path: string, body?: unknown) => {
    const response = await t.request(method, path, body === undefined ? {} : { body });
    expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  };

  /** Every notice the instance received (its own commits), by config version. */
  const noticesByVersion = () => {
    const notices = new Map<number, ChangeNotice>();
    const snapshot = t.deps.snapshot;
    const receive = snapshot.receive.bind(snapshot);
    snapshot.receive = (notice) => {
      if (notice?.configVersion != null) notices.set(notice.configVersion, notice);
      return receive(notice);
    };
    return notices;
  };

  const SEEDS = [7, 1234];
  it.each(SEEDS)('after every kind of change gives exactly what a full load gives (seed %i)', async (seed) => {
    const db = t.deps.database.db;
    const notices = noticesByVersion();
    const { next, pick } = random(seed);
    const FLAGS = ['a', 'b', 'c', 'd', 'e'].map((letter) => `inc-${seed}-${letter}`);
    const created = new Set<string>();
    const overrides = new Map<string, string>();
    let environments = 0;
    const flagPath = (key: string) => `/api/admin/flags/${key}`;
    /** Each change with whether its notice names the flags it touched (an incremental reload can follow it). */
    const changes: (() => Promise<boolean>)[] = [
      async () => {
        const key = pick(FLAGS);
        if (created.has(key)) return false;
        await ok('POST', '/api/admin/flags', { key, description: `flag ${key}` });
        created.add(key);
        return false;
      },
      async () => {
        const key = pick([...created]);
        await ok('PATCH', `${flagPath(key)}?environment=${pick(ENVIRONMENTS)}`, {
          enabled: next() < 0.5,
          rolloutPercentage: Math.floor(next() * 101),
          ...(next() < 0.3 ? { description: `changed ${Math.floor(next() * 1000)}` } : {}),
        });
        return true;
      },
      async () => {
        const key = pick([...created]);
        const segment = next() < 0.5;
        await ok('PATCH', `${flagPath(key)}/targeting?environment=${pick(ENVIRONMENTS)}`, {
          enabled: true,
          rules: [
            {
              id: 'country',
              constraints: [{ attribute: 'country', operator: 'IN', values: [pick(['DE', 'FR', 'US'])] }],
              ...(segment ? { segments: ['inc-pro'] } : {}),
              serve: { variant: pick(['on', 'off']) },
            },
          ],
        });
        return true;
      },
      async () => {
        const key = pick([...created]);
        const environment = pick(ENVIRONMENTS);
        const userId = pick(USERS);
        const id = `${key}/${environment}/${userId}`;
        if (overrides.has(id) && next() < 0.5) {
          await ok('DELETE', `${flagPath(key)}/users/${userId}?environment=${environment}`);
          overrides.delete(id);
        } else {
          const overrideType = pick(['include', 'exclude'] as const);
          await ok('POST', `${flagPath(key)}/users?environment=${environment}`, { userId, overrideType });
          overrides.set(id, overrideType);
        }
        return true;
      },
      async () => {
        await ok('PUT', '/api/admin/segments/inc-pro', {
          name: 'Pro',
          constraints: [{ attribute: 'plan', operator: 'IN', values: [pick(['pro', 'free'])] }],
        });
        return false;
      },
      async () => {
        if (created.size < 3) return false;
        const key = pick([...created]);
        await ok('DELETE', flagPath(key));
        created.delete(key);
        for (const id of overrides.keys()) if (id.startsWith(`${key}/`)) overrides.delete(id);
        return true;
      },
      async () => {
        if (environments > 0) return false;
        environments++;
        await ok('POST', '/api/admin/environments', { key: `inc-env-${seed}`, name: 'More' });
        return false;
      },
    ];

    // The second seed finds it from the first (409): either way it exists.
    await t.request('POST', '/api/admin/segments', { body: { key: 'inc-pro', name: 'Pro' } });
    for (const key of FLAGS.slice(0, 2)) {
      if (created.has(key)) continue;
      await ok('POST', '/api/admin/flags', { key });
      created.add(key);
    }
    let incremental: LoadedSnapshot = await loadSnapshot(db);
    let scoped = 0;
    for (let step = 0; step < 40; step++) {
      const versionBefore = (await loadSnapshot(db)).version;
      const namesFlags = await pick(changes)();
      const full = await loadSnapshot(db);
      if (full.version === versionBefore) continue;
      expect(full.version).toBe(versionBefore + 1);
      expect(notices.get(full.version)?.flagKeys !== undefined, `step ${step}`).toBe(namesFlags);
      // What the instance's store did on its own change (incremental or not) serves what a full load serves.
      expect(served(t.deps.snapshot.current)).toEqual(served(full));
      const scopes = new Map([...notices].map(([version, notice]) => [version, notice.flagKeys]));
      const next = await loadFlagChanges(db, incremental, scopes);
      if (namesFlags) {
        expect(next, `step ${step}: a flag-scoped change reloads incrementally`).toBeDefined();
        scoped++;
      } else {
        expect(next, `step ${step}: every other kind of change takes a full load`).toBeUndefined();
      }
      incremental = next ?? full;
      expect(served(incremental)).toEqual(served(full));
    }
    expect(scoped).toBeGreaterThan(5);
  });

  it('re-reads several versions at once, and falls back to a full load for a version no notice scoped', async () => {
    const db = t.deps.database.db;
    const notices = noticesByVersion();
    await ok('POST', '/api/admin/flags', { key: 'inc-gap' });
    const start = await loadSnapshot(db);
    await ok('PATCH', '/api/admin/flags/inc-gap?environment=production', { enabled: true });
    await ok('POST', '/api/admin/flags/inc-gap/users?environment=production', {
      userId: 'erin',
      overrideType: 'exclude',
    });
    const scopes = new Map([...notices].map(([version, notice]) => [version, notice.flagKeys]));
    const caughtUp = await loadFlagChanges(db, start, scopes);
    expect(caughtUp?.version).toBe(start.version + 2);
    expect(served(caughtUp as LoadedSnapshot)).toEqual(served(await loadSnapshot(db)));

    // A change written without a notice (as a lost notification leaves it): only the version poll finds it.
    await writeSegment(t, { key: 'inc-quiet', name: 'Quiet', description: '', constraints: [] });
    const latest = await loadSnapshot(db);
    expect(await loadFlagChanges(db, caughtUp as LoadedSnapshot, scopes)).toBeUndefined();
    expect(served(t.deps.snapshot.current)).toEqual(served(latest));
  });
});
