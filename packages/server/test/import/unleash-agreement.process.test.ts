import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  compileFlag,
  convertUnleashExport,
  evaluateFlag,
  type ImportedFlag,
  type ImportResult,
  type OfrepBulkResponse,
  type RulesetFlag,
  type Segment,
  unleashSegmentListSchema,
} from '@flagline/core';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installUnleashServer,
  startUnleash,
  UNLEASH_SECRETS,
  type UnleashServer,
} from '../../../../bench/peers/unleash';
import { createTestApp } from '../helpers/app';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { listenOnLoopback } from '../helpers/http';
import recorded from './fixtures/unleash-6.10.1-export.json';
import { type CONTEXT_FIELDS, createUnleashRulesets, exportUnleash, FLAGS, withStrategyOrder } from './unleash-fixture';

/*
 * The agreement test of issue #12: rulesets created on a real unleash-server 6.10.1, exported with its export API,
 * converted by convertUnleashExport and evaluated by Flagline's engine must answer as unleash-client does —
 * isEnabled is Flagline's value, getVariant's name is Flagline's variant whenever isEnabled is true ("on" where
 * Unleash has no variant and answers "disabled"), and the reason is DEFAULT or DISABLED when it is false.
 */

const CONTEXTS = 10_000;

type UnleashContext = {
  userId?: string;
  sessionId: string;
  currentTime: string;
  properties: Partial<Record<(typeof CONTEXT_FIELDS)[number], string>>;
};

/** A small seeded generator, so a disagreement can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id from the seeded generator (crypto.randomUUID would make a run impossible to replay). */
function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function generateContexts(count: number, seed: number): UnleashContext[] {
  const random = prng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const maybe = <T>(value: T, share = 0.85): T | undefined => (random() < share ? value : undefined);
  const plans = ['pro', 'PRO', 'Pro', 'enterprise', 'Enterprise', 'free', ' pro', 'entry', 'team'];
  const countries = ['DE', 'de', 'FR', ' FR ', 'SE', 'NO', 'DK', 'US', 'GB'];
  const emails = [
    'admin@acme.io',
    'Admin@ACME.io',
    'root@corp.dev',
    'bob@acme.dev',
    'carol@example.com',
    'dave@Acme.COM',
    'no-at-sign',
    'x@y.io',
  ];
  const versions = ['1.2.3', '2.0.0', '2.0.1', '1.0.0-beta.1', '1.0.0-beta.10', '1.0.0', 'v1.2.3', '1.2', '0.9.9'];
  const scores = () =>
    pick([String(Math.floor(random() * 140) - 30), '42', '42.0', '50', '90', '95', '-10.5', '-11', 'abc', '', '1e2']);
  const start = Date.parse('2024-06-01T00:00:00Z');
  const end = Date.parse('2027-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, index) => {
    const properties: UnleashContext['properties'] = {};
    // Missing or empty now and then: a rollout sticky on a missing field keeps the context out, even at 100 %.
    const tenant = maybe(random() < 0.05 ? '' : `tenant-${Math.floor(random() * 60)}`, 0.9);
    if (tenant !== undefined) properties.tenant = tenant;
    const plan = maybe(pick(plans));
    if (plan !== undefined) properties.plan = plan;
    const country = maybe(pick(countries));
    if (country !== undefined) properties.country = country;
    const email = maybe(pick(emails));
    if (email !== undefined) properties.email = email;
    const appVersion = maybe(pick(versions), 0.7);
    if (appVersion !== undefined) properties.appVersion = appVersion;
    const score = maybe(scores(), 0.8);
    if (score !== undefined) properties.score = score;
    const context: UnleashContext = {
      sessionId: `s-${index}-${Math.floor(random() * 1e9)}`,
      currentTime: new Date(start + random() * (end - start)).toISOString(),
      properties,
    };
    const userId = maybe(random() < 0.05 ? `u-${Math.floor(random() * 20)}` : seededUuid(random), 0.9);
    if (userId !== undefined) context.userId = userId;
    return context;
  });
}

/** The same context as OpenFeature sees it: userId is the targeting key, properties are attributes. */
function flaglineContext(context: UnleashContext): Record<string, string> {
  return {
    ...(context.userId === undefined ? {} : { targetingKey: context.userId }),
    sessionId: context.sessionId,
    currentTime: context.currentTime,
    ...context.properties,
  } as Record<string, string>;
}

function rulesetFlag(flag: ImportedFlag): RulesetFlag {
  return {
    key: flag.key,
    description: flag.description,
    enabled: flag.targeting.enabled,
    rolloutPercentage: flag.targeting.rolloutPercentage,
    overrides: { include: [], exclude: [] },
    type: flag.type,
    variants: flag.variants,
    offVariant: flag.targeting.offVariant,
    rules: flag.targeting.rules,
    fallthrough: flag.targeting.fallthrough,
  };
}

interface UnleashAnswer {
  enabled: boolean;
  variant: string;
}

interface Disagreement {
  flag: string;
  context: UnleashContext;
  unleash: UnleashAnswer;
  flagline: { value: unknown; variant: string | undefined; reason: string };
}

describe.each(postgresBackends())('Unleash import agreement (%s)', () => {
  let unleashServer: UnleashServer | undefined;
  let client: Unleash | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let exported: unknown;
  let unleashSegments: unknown;

  beforeAll(async () => {
    const folder = await installUnleashServer();
    const database = await createPostgresDatabase();
    dropDatabase = database.drop;
    // Feature (environment) variants are deprecated in Unleash 6 but still served, and exports of older installs carry them.
    process.env.UNLEASH_EXPERIMENTAL_ENABLE_LEGACY_VARIANTS = 'true';
    unleashServer = await startUnleash(folder, new URL(database.url));
    await createUnleashRulesets(unleashServer.url);
    const raw = await exportUnleash(unleashServer.url);
    exported = raw.exported;
    unleashSegments = raw.segments;
    exported = await withStrategyOrder(unleashServer.url, raw.exported);
    client = new Unleash({
      url: `${unleashServer.url}/api/`,
      appName: 'flagline-import-agreement',
      customHeaders: { Authorization: UNLEASH_SECRETS.client },
      // One fetch is all the test needs (0 would disable fetching altogether).
      refreshInterval: 600_000,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      storageProvider: new InMemStorageProvider(),
    });
    const synchronized = once(client, 'synchronized');
    const failed = once(client, 'error').then(([error]) => {
      throw new Error(`unleash-client: ${String(error)}`);
    });
    await Promise.race([
      synchronized,
      failed,
      sleep(30_000).then(() => Promise.reject(new Error('unleash-client did not synchronize in 30 s'))),
    ]);
    // 10 minutes: the first run installs unleash-server from npm (≈1 min, more on a slow registry).
  }, 600_000);

  afterAll(async () => {
    client?.destroy();
    await unleashServer?.stop();
    await dropDatabase?.();
  }, 60_000);

  it('the export converts without anything left out; without sortOrder the order-dependent flags are reported', async () => {
    const segments = unleashSegmentListSchema.parse(unleashSegments);
    const converted = convertUnleashExport(exported, { segments });
    expect(converted.unsupported).toEqual([]);
    expect(converted.flags.map((flag) => flag.key).sort()).toEqual(FLAGS.map((flag) => flag.name).sort());
    expect(converted.segments.map((segment) => segment.key).sort()).toEqual([
      'nordics-with-score',
      'pro-customers',
      'pro-customers-2',
    ]);

    const { featureStrategies, ...rest } = exported as { featureStrategies: { sortOrder?: number }[] };
    const withoutOrder = {
      ...rest,
      featureStrategies: featureStrategies.map(({ sortOrder: _, ...strategy }) => strategy),
    };
    const unordered = convertUnleashExport(withoutOrder, { segments });
    expect(unordered.unsupported.map((part) => part.reason.split('"')[1]).sort()).toEqual([
      'imp-custom-stickiness',
      'imp-date',
      'imp-in',
      'imp-str',
    ]);
  });

  /** unleash-client's answers for every context and flag, computed once for both comparisons. */
  let unleashAnswers: { contexts: UnleashContext[]; answers: Map<string, UnleashAnswer>[] } | undefined;
  function unleashAnswersOnce() {
    if (unleashAnswers) return unleashAnswers;
    if (!client) throw new Error('unleash-client did not start');
    const contexts = generateContexts(CONTEXTS, 12);
    const answers = contexts.map((context) => {
      const unleashContext = { ...context, currentTime: new Date(context.currentTime) };
      return new Map(
        FLAGS.map(({ name }) => [
          name,
          {
            enabled: client?.isEnabled(name, unleashContext) ?? false,
            variant: client?.getVariant(name, unleashContext).name ?? 'disabled',
          },
        ]),
      );
    });
    unleashAnswers = { contexts, answers };
    return unleashAnswers;
  }

  /** Tallies Flagline's answers against Unleash's; keeps the first 20 disagreements to show. */
  function tally(label: string) {
    let compared = 0;
    let enabledCount = 0;
    let disagreementCount = 0;
    const disagreements: Disagreement[] = [];
    const variantsSeen = new Map<string, Set<string>>();
    return {
      compare(flag: string, context: UnleashContext, unleash: UnleashAnswer, flagline: Disagreement['flagline']) {
        compared++;
        if (unleash.enabled) enabledCount++;
        const expectedVariant = unleash.enabled ? (unleash.variant === 'disabled' ? 'on' : unleash.variant) : 'off';
        const agrees =
          flagline.value === unleash.enabled &&
          flagline.variant === expectedVariant &&
          (unleash.enabled || flagline.reason === 'DEFAULT' || flagline.reason === 'DISABLED');
        if (!agrees) disagreementCount++;
        if (!agrees && disagreements.length < 20) disagreements.push({ flag, context, unleash, flagline });
        const seen = variantsSeen.get(flag) ?? new Set<string>();
        seen.add(expectedVariant);
        variantsSeen.set(flag, seen);
      },
      finish() {
        const agreement = (compared - disagreementCount) / compared;
        process.stdout.write(
          `  [agreement] ${label}: ${compared - disagreementCount}/${compared} answers agree (${(agreement * 100).toFixed(3)} %), ${enabledCount} enabled\n`,
        );
        expect(disagreements).toEqual([]);
        expect(compared).toBe(CONTEXTS * FLAGS.length);
        // The contexts reach every branch: each flag is seen both on and off (but the disabled one), and every variant.
        for (const flag of FLAGS) {
          const seen = variantsSeen.get(flag.name);
          // imp-default-only has a default strategy without constraints: on for everyone, as in Unleash.
          if (flag.enabled && flag.name !== 'imp-default-only') {
            expect(seen?.has('off'), `${flag.name} never off`).toBe(true);
          }
          if (flag.enabled) expect(seen?.size, `${flag.name} only ever ${[...(seen ?? [])]}`).toBeGreaterThan(1);
        }
        expect(variantsSeen.get('imp-feature-variants')).toEqual(new Set(['off', 'red', 'blue', 'green', 'gold']));
        expect(variantsSeen.get('imp-custom-stickiness')).toEqual(
          new Set(['off', 'x', 'y', 'z', 'fallback-1', 'fallback-2']),
        );
      },
    };
  }

  it(`Flagline's engine answers as unleash-client for ${CONTEXTS.toLocaleString('en')} generated contexts`, () => {
    const { contexts, answers } = unleashAnswersOnce();
    const converted = convertUnleashExport(exported, { segments: unleashSegmentListSchema.parse(unleashSegments) });
    const segments = new Map<string, Segment>(converted.segments.map((segment) => [segment.key, segment]));
    const compiled = converted.flags.map((flag) => ({
      key: flag.key,
      compiled: compileFlag(rulesetFlag(flag), segments),
    }));
    const result = tally('in-process');
    contexts.forEach((context, index) => {
      const attributes = flaglineContext(context);
      for (const { key, compiled: flag } of compiled) {
        const answer = evaluateFlag(flag, attributes);
        const unleash = answers[index]?.get(key);
        if (!unleash) throw new Error(`no Unleash answer for ${key}`);
        result.compare(key, context, unleash, { value: answer.value, variant: answer.variant, reason: answer.reason });
      }
    });
    result.finish();
  });

  it(`over OFREP, a Flagline server with the import answers as unleash-client for the same contexts`, async () => {
    const { contexts, answers } = unleashAnswersOnce();
    const flagline = await createTestApp('postgres');
    const server = await listenOnLoopback(flagline.app);
    try {
      // Imported as an operator would: the export (with sortOrder) and the segments list, over the admin API.
      const body = { ...(exported as Record<string, unknown>), segments: unleashSegments };
      const imported = await flagline.request<ImportResult>(
        'POST',
        '/api/admin/import/unleash?environment=development',
        {
          body,
        },
      );
      expect(imported.status, JSON.stringify(imported.body)).toBe(200);
      expect(imported.body.unsupported).toEqual([]);

      const result = tally('OFREP bulk');
      const evaluate = async (index: number) => {
        const context = contexts[index] as UnleashContext;
        const response = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
          method: 'POST',
          headers: { authorization: `Bearer ${flagline.tokens.developmentClient}`, 'content-type': 'application/json' },
          body: JSON.stringify({ context: flaglineContext(context) }),
        });
        expect(response.status).toBe(200);
        const { flags } = (await response.json()) as OfrepBulkResponse;
        const byKey = new Map(flags.map((flag) => [flag.key, flag]));
        for (const { name } of FLAGS) {
          const answer = byKey.get(name);
          const unleash = answers[index]?.get(name);
          if (!answer || !unleash) throw new Error(`no answer for ${name}`);
          if (!('value' in answer)) throw new Error(`OFREP error for ${name}: ${JSON.stringify(answer)}`);
          result.compare(name, context, unleash, {
            value: answer.value,
            variant: answer.variant,
            reason: answer.reason,
          });
        }
      };
      // Eight requests in flight at a time, in order.
      for (let start = 0; start < contexts.length; start += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, contexts.length - start) }, (_, offset) => evaluate(start + offset)),
        );
      }
      result.finish();
    } finally {
      await server.close();
      await flagline.close();
    }
  }, 120_000);
});

// Runs without PostgreSQL too: the export the fixture produced on unleash-server 6.10.1, as recorded.
describe('the recorded unleash-server 6.10.1 export', () => {
  it('converts every flag and segment; only the strategy order it lacks is reported', () => {
    const converted = convertUnleashExport(recorded.export, {
      segments: unleashSegmentListSchema.parse(recorded.segments),
    });
    expect(converted.flags.map((flag) => flag.key).sort()).toEqual(FLAGS.map((flag) => flag.name).sort());
    expect(converted.segments).toHaveLength(3);
    expect(converted.unsupported.map((part) => part.reason.split('"')[1]).sort()).toEqual([
      'imp-custom-stickiness',
      'imp-date',
      'imp-in',
      'imp-str',
    ]);
  });
});
