import { GrowthBookClient, type UserContext } from '@growthbook/growthbook';
import { type Client, type EvaluationContext, OpenFeature, type Provider } from '@openfeature/server-sdk';
import type { Unleash, Context as UnleashContext } from 'unleash-client';
import type { FlaglineProvider } from '../packages/sdk/src/provider';
import { percentile, round } from './lib';

/** One way of evaluating a flag for a user; run(n) does n evaluations and returns how many were on. */
export type Candidate = { name: string; run: (iterations: number) => number | Promise<number>; iterations: number };

export const FLAGLINE_CANDIDATE = 'FlaglineProvider.resolveBoolean';
export const UNLEASH_CANDIDATE = 'unleash-client isEnabled';
export const GROWTHBOOK_CANDIDATE = 'GrowthBookClient isOn';
export const OPENFEATURE_CANDIDATE = 'OpenFeature client.getBooleanValue (FlaglineProvider)';
export const OPENFEATURE_BASELINE = 'OpenFeature client.getBooleanValue (a provider returning a constant)';

/** A provider that does no work: what is left of a call through the OpenFeature client is the SDK's own cost. */
const constantProvider: Provider = {
  metadata: { name: 'constant' },
  runsOn: 'server',
  resolveBooleanEvaluation: async () => ({ value: true }),
  resolveStringEvaluation: async (_key, fallback) => ({ value: fallback }),
  resolveNumberEvaluation: async (_key, fallback) => ({ value: fallback }),
  resolveObjectEvaluation: async (_key, fallback) => ({ value: fallback }),
};

export interface Measured {
  wallNsPerOp: { median: number; best: number };
  cpuNsPerOp: { median: number; best: number };
  opsPerSecondMedian: number;
  shareOn: number;
}

/**
 * ns per evaluation for each candidate: interleaved rounds (so a burst of load from elsewhere hits them all), each
 * timed by the wall clock and by this process's CPU time (steadier on a shared machine); median and best of rounds.
 */
export async function measureAll(candidates: Candidate[], rounds = 5): Promise<Record<string, Measured>> {
  const wall = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  const onShare = new Map<string, number>();
  for (const candidate of candidates) await candidate.run(Math.min(50_000, candidate.iterations)); // warm-up (JIT)
  for (let r = 0; r < rounds; r++) {
    for (const candidate of candidates) {
      const cpuStart = process.cpuUsage();
      const started = process.hrtime.bigint();
      const on = await candidate.run(candidate.iterations);
      const elapsed = Number(process.hrtime.bigint() - started);
      const cpuUsed = process.cpuUsage(cpuStart);
      wall.get(candidate.name)?.push(elapsed / candidate.iterations);
      cpu.get(candidate.name)?.push(((cpuUsed.user + cpuUsed.system) * 1000) / candidate.iterations);
      onShare.set(candidate.name, on / candidate.iterations);
    }
  }
  const stats = (values: number[] = []) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { median: round(percentile(sorted, 50)), best: round(sorted[0] ?? Number.NaN) };
  };
  return Object.fromEntries(
    candidates.map((candidate) => {
      const wallStats = stats(wall.get(candidate.name));
      const measured: Measured = {
        wallNsPerOp: wallStats,
        cpuNsPerOp: stats(cpu.get(candidate.name)),
        opsPerSecondMedian: Math.round(1e9 / wallStats.median),
        shareOn: round(onShare.get(candidate.name) ?? Number.NaN, 3),
      };
      return [candidate.name, measured];
    }),
  );
}

/** Whether `name` beat `other` on both the wall-clock and the CPU-time median. */
export function fasterThan(evaluation: Record<string, Measured>, name: string, other: string): boolean {
  const a = evaluation[name];
  const b = evaluation[other];
  if (!a || !b) return false;
  return a.wallNsPerOp.median < b.wallNsPerOp.median && a.cpuNsPerOp.median < b.cpuNsPerOp.median;
}

/** Unleash's definition of a Flagline flag: gradual rollout, groupId = flag key, sticky on userId (design §4). */
export function unleashRolloutFeature(name: string, rollout: number) {
  return {
    name,
    enabled: true,
    strategies: [
      {
        name: 'flexibleRollout',
        parameters: { rollout: String(rollout), stickiness: 'userId', groupId: name },
        constraints: [],
      },
    ],
  };
}

/** A GrowthBook client with the same flags rolled out to `coverage` (0..1) of users by `id`. */
export function growthbookWithRollout(keys: string[], coverage: number) {
  return new GrowthBookClient().initSync({
    payload: {
      features: Object.fromEntries(
        keys.map((key) => [key, { defaultValue: false, rules: [{ force: true, coverage, hashAttribute: 'id' }] }]),
      ),
    },
  });
}

export interface Libraries {
  provider: FlaglineProvider;
  unleash: Unleash;
  growthbook: GrowthBookClient;
  /** An OpenFeature client whose provider is `provider`: what an application calls (async, with the SDK's hooks). */
  openFeature: Client;
}

const pick = <T>(list: T[], i: number) => list[i % list.length] as T;

/**
 * The libraries evaluating the same flags for the same users, each in its own context shape. Each loop is written
 * out: one shared loop calling a per-library closure would make that call megamorphic and add its cost to every row.
 */
function libraryCandidates(
  libraries: Libraries,
  baseline: Client,
  keys: string[],
  users: string[],
  iterations: Iterations,
): Candidate[] {
  const { provider, unleash, growthbook, openFeature } = libraries;
  const contexts: EvaluationContext[] = users.map((targetingKey) => ({ targetingKey }));
  const unleashContexts: UnleashContext[] = users.map((userId) => ({ userId }));
  const growthbookContexts: UserContext[] = users.map((id) => ({ attributes: { id } }));
  return [
    {
      name: FLAGLINE_CANDIDATE,
      iterations: iterations.sync,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (provider.resolveBoolean(pick(keys, i), false, pick(contexts, i)).value) on++;
        return on;
      },
    },
    {
      name: UNLEASH_CANDIDATE,
      iterations: iterations.sync,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (unleash.isEnabled(pick(keys, i), pick(unleashContexts, i))) on++;
        return on;
      },
    },
    {
      name: GROWTHBOOK_CANDIDATE,
      iterations: iterations.sync,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (growthbook.isOn(pick(keys, i), pick(growthbookContexts, i))) on++;
        return on;
      },
    },
    {
      name: OPENFEATURE_CANDIDATE,
      iterations: iterations.openFeature,
      run: async (n) => {
        let on = 0;
        for (let i = 0; i < n; i++)
          if (await openFeature.getBooleanValue(pick(keys, i), false, pick(contexts, i))) on++;
        return on;
      },
    },
    {
      name: OPENFEATURE_BASELINE,
      iterations: iterations.openFeature,
      run: async (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (await baseline.getBooleanValue(pick(keys, i), false, pick(contexts, i))) on++;
        return on;
      },
    },
  ];
}

/** Evaluations per round: the synchronous calls, and the (much slower, awaited) OpenFeature client. */
export interface Iterations {
  sync: number;
  openFeature: number;
}

/**
 * What one evaluation costs in each library, same flags and users, interleaved rounds; the verdict compares
 * FlaglineProvider.resolveBoolean with unleash-client isEnabled and GrowthBook isOn (wall and CPU medians).
 */
export async function measureLibraries(
  libraries: Libraries,
  keys: string[],
  users: string[],
  options: { iterations: Iterations; rounds: number },
) {
  await OpenFeature.setProviderAndWait('sdk-baseline', constantProvider);
  const baseline = OpenFeature.getClient('sdk-baseline');
  const results = await measureAll(
    libraryCandidates(libraries, baseline, keys, users, options.iterations),
    options.rounds,
  );
  const flaglineNs = results[FLAGLINE_CANDIDATE]?.wallNsPerOp.median ?? Number.NaN;
  return {
    results,
    /** FlaglineProvider.resolveBoolean's wall-clock median over each candidate's. */
    ratios: Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, round(flaglineNs / r.wallNsPerOp.median, 2)]),
    ),
    fasterThanUnleash: fasterThan(results, FLAGLINE_CANDIDATE, UNLEASH_CANDIDATE),
    fasterThanGrowthBook: fasterThan(results, FLAGLINE_CANDIDATE, GROWTHBOOK_CANDIDATE),
  };
}

/** Share of (user, flag) pairs on which the FlaglineProvider and unleash-client give the same answer. */
export function localAgreement(
  provider: FlaglineProvider,
  unleash: Unleash,
  pairs: Iterable<readonly [flagKey: string, userId: string]>,
) {
  let checked = 0;
  let agree = 0;
  for (const [key, userId] of pairs) {
    checked++;
    if (provider.resolveBoolean(key, false, { targetingKey: userId }).value === unleash.isEnabled(key, { userId }))
      agree++;
  }
  return { checked, agree, share: checked === 0 ? Number.NaN : round(agree / checked, 4) };
}
