import { once } from 'node:events';
import { loadavg } from 'node:os';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { Unleash } from 'unleash-client';
import { FlaglineClient } from '../packages/sdk/src/client';
import { FlaglineProvider } from '../packages/sdk/src/provider';
import { growthbookWithRollout, localAgreement, measureLibraries, unleashRolloutFeature } from './inprocess';
import { createDatabase, round, type ServerProcess, sleep, startFlagline, summarise, writeResult } from './lib';

const ADMIN_TOKEN = 'bench-delivery-admin-token-0123456789';
const CHANGES = 200;
const CHANGE_FLAGS = 20;
const GAP_MS = 20;
const EVENT_TIMEOUT_MS = 5_000;
const EVAL_FLAGS = 100;
const USERS = 10_000;
const ROUNDS = 5;
const ITERATIONS = 300_000;
const CLIENT_ITERATIONS = 20_000;
const TARGET = {
  propagationP99Ms: 100,
  evaluation: 'FlaglineProvider.resolveBoolean faster than unleash-client isEnabled and GrowthBook isOn',
};

/**
 * Delivery on PostgreSQL with two `flagline serve` processes: how long a change made through instance A takes to
 * reach an application whose FlaglineProvider follows instance B (PROVIDER_CONFIGURATION_CHANGED), and what one
 * in-process evaluation costs next to unleash-client and GrowthBook, same flags and users, same run.
 */
export async function benchDelivery(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const loadBefore = loadavg();
  const database = await createDatabase(adminUrl);
  const servers: ServerProcess[] = [];
  let unleash: Unleash | undefined;
  try {
    const env = { DATABASE_URL: database.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN, SCHEDULER_ENABLED: 'false' };
    const a = await startFlagline(env); // migrates the fresh database
    servers.push(a);
    const b = await startFlagline(env);
    servers.push(b);
    const admin = new FlaglineClient({ url: a.url, token: ADMIN_TOKEN });

    const changeKeys = Array.from({ length: CHANGE_FLAGS }, (_, i) => `change-flag-${String(i).padStart(2, '0')}`);
    const evalKeys = Array.from({ length: EVAL_FLAGS }, (_, i) => `eval-flag-${String(i).padStart(3, '0')}`);
    for (const key of [...changeKeys, ...evalKeys]) {
      await admin.createFlag({ key });
      await admin.updateFlag(key, { enabled: true, rolloutPercentage: 50 });
    }
    const token = (await admin.createToken({ name: 'bench app on B', role: 'client', environment: 'production' }))
      .secret;

    // The application: a FlaglineProvider on B behind the OpenFeature SDK.
    const provider = new FlaglineProvider({ url: b.url, token });
    const client = OpenFeature.getClient('bench');
    const waiting = new Map<string, (at: number) => void>();
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) => {
      const at = performance.now();
      for (const key of details?.flagsChanged ?? []) waiting.get(key)?.(at);
    });
    await OpenFeature.setProviderAndWait('bench', provider);
    await sleep(500); // let the stream connect

    // 1. Propagation: sequential PATCHes through A, each awaited as PROVIDER_CONFIGURATION_CHANGED on B's provider.
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    const fromTimestamp: number[] = [];
    let beforeResponse = 0;
    let lost = 0;
    for (let i = 0; i < CHANGES; i++) {
      const key = changeKeys[i % CHANGE_FLAGS] as string;
      const arrived = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), EVENT_TIMEOUT_MS);
        waiting.set(key, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const sent = performance.now();
      // rollout alternates 51 / 49 … so every PATCH is a real change
      const view = await admin.updateFlag(key, {
        rolloutPercentage: 50 + (Math.floor(i / CHANGE_FLAGS) % 2 === 0 ? 1 : -1),
      });
      const responded = performance.now();
      const at = await arrived;
      waiting.delete(key);
      if (at === undefined) {
        lost++;
      } else {
        if (at < responded) beforeResponse++;
        fromResponse.push(Math.max(0, at - responded));
        fromRequest.push(at - sent);
        // updatedAt is stamped inside A's transaction, just before it commits (same machine, same clock)
        fromTimestamp.push(performance.timeOrigin + at - Date.parse(view.updatedAt));
      }
      await sleep(GAP_MS);
    }
    const propagation = summarise(fromResponse);
    const propagationFromChange = summarise(fromTimestamp);

    // 2. In-process evaluation: the same 100 flags at 50 % and the same 10 000 users for every library.
    const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    unleash = new Unleash({
      appName: 'flagline-bench',
      url: 'http://127.0.0.1:9/api/', // never contacted: no refresh, no metrics, bootstrap data only
      refreshInterval: 0,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      bootstrap: { data: evalKeys.map((name) => unleashRolloutFeature(name, 50)) },
    });
    unleash.on('error', () => {});
    if (!unleash.isSynchronized()) await Promise.race([once(unleash, 'ready'), sleep(5_000)]);
    const growthbook = growthbookWithRollout(evalKeys, 0.5);

    // Sanity: every library has the flags, and Flagline's bucketing is Unleash's (design §4), so they agree.
    const agreement = localAgreement(
      provider,
      unleash,
      users.map((user, i) => [evalKeys[i % EVAL_FLAGS] as string, user] as const),
    );

    const evaluation = await measureLibraries({ provider, unleash, growthbook, openFeature: client }, evalKeys, users, {
      iterations: { sync: ITERATIONS, openFeature: CLIENT_ITERATIONS },
      rounds: ROUNDS,
    });

    const summary = {
      scenario: `PostgreSQL, two flagline serve processes (A, B) + this process's FlaglineProvider on B; ${CHANGES} sequential PATCHes through A (${CHANGE_FLAGS} flags, ${GAP_MS} ms gaps); evaluation: ${EVAL_FLAGS} flags at 50 %, ${USERS} users, ${ROUNDS} interleaved rounds`,
      loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) },
      propagationMs: {
        fromPatchResponse: propagation,
        fromChangeTimestamp: propagationFromChange,
        fromPatchRequest: summarise(fromRequest),
        samples: fromResponse.length,
        arrivedBeforeTheResponse: beforeResponse,
        lost,
        note: "fromPatchResponse: from A's answer to the PATCH (after the commit; an event that arrived before it counts as 0). fromChangeTimestamp: from the flag's updatedAt, stamped in A's transaction before the commit (an upper bound of commit → event, ms resolution). fromPatchRequest: from sending the PATCH.",
      },
      evaluation: evaluation.results,
      unleashAgreement: agreement.share,
      target: TARGET,
      met: {
        propagationP99FromPatchResponse: lost === 0 && propagation.p99 <= TARGET.propagationP99Ms,
        propagationP99FromChangeTimestamp: lost === 0 && propagationFromChange.p99 <= TARGET.propagationP99Ms,
        fasterThanUnleash: evaluation.fasterThanUnleash,
        fasterThanGrowthBook: evaluation.fasterThanGrowthBook,
      },
    };
    const path = writeResult('delivery', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    unleash?.destroy();
    await OpenFeature.close();
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}
