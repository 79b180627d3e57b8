import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { FlaglineClient } from '../packages/sdk/src/client';
import { FlaglineProvider } from '../packages/sdk/src/provider';
import {
  FLAGLINE_CANDIDATE,
  GROWTHBOOK_CANDIDATE,
  growthbookWithRollout,
  localAgreement,
  measureLibraries,
  OPENFEATURE_BASELINE,
  OPENFEATURE_CANDIDATE,
  UNLEASH_CANDIDATE,
} from './inprocess';
import { createDatabase, machine, queryServer, root, round, sleep, startFlagline, summarise, writeResult } from './lib';
import { alternate, type LoadOptions, type LoadTarget } from './peers/load';
import { measurePropagation, type Observer, type PropagationStats } from './peers/propagation';
import { keepRelayBlock } from './peers/relay';
import {
  type Comparison,
  compare,
  type PeersSummary,
  PROPAGATION_P99_TARGET_MS,
  renderMarkdown,
  type Verdict,
} from './peers/report';
import { benchRemoteRules, RULED_FLAGS } from './peers/rules';
import {
  createUnleashFlag,
  installUnleashServer,
  setUnleashFlagEnabled,
  startUnleash,
  UNLEASH_SECRETS,
  UNLEASH_SERVER_VERSION,
  unleashApi,
  unleashFrontendToggles,
} from './peers/unleash';
import { measureTargeting } from './targeting';

const ADMIN_TOKEN = 'bench-peers-admin-token-0123456789';
/** PEERS_QUICK=1: seconds instead of minutes, for working on the bench itself; writes its report to the temp folder. */
const QUICK = process.env.PEERS_QUICK === '1';
const DATASETS = [5, 350];
const ROLLOUT = 50;
const USERS = 10_000;
const LOAD: LoadOptions = QUICK
  ? { connections: 50, durationS: 1, warmupS: 1, rounds: 2 }
  : { connections: 50, durationS: 5, warmupS: 2, rounds: 3 };
const IN_PROCESS = QUICK
  ? { iterations: { sync: 50_000, openFeature: 5_000 }, rounds: 2 }
  : { iterations: { sync: 300_000, openFeature: 20_000 }, rounds: 5 };
const LOCAL_AGREEMENT_USERS = 300; // × 350 flags = 105 000 pairs
const SERVER_AGREEMENT_USERS = QUICK ? 100 : 1_000;
const PROPAGATION = {
  unleash15s: { changes: QUICK ? 2 : 6, refreshMs: 15_000 },
  unleash1s: { changes: QUICK ? 4 : 20, refreshMs: 1_000 },
  flagline: { changes: QUICK ? 20 : 100, gapMs: 20 },
};

const progress = (line: string) => process.stdout.write(`  [peers] ${line}\n`);
const flagKey = (i: number) => `peer-flag-${String(i).padStart(3, '0')}`;
const userAt = (n: number) => `user-${n % USERS}`;

function packageVersion(path: string): string {
  return (JSON.parse(readFileSync(join(root, path), 'utf8')) as { version: string }).version;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function unleashClient(url: string, refreshInterval: number): Unleash {
  const client = new Unleash({
    url: `${url}/api/`,
    appName: `flagline-peers-${refreshInterval}ms`,
    customHeaders: { Authorization: UNLEASH_SECRETS.client },
    refreshInterval,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(), // no backup file in the temp folder
  });
  client.on('error', (error: unknown) => progress(`unleash-client (${refreshInterval} ms) error: ${String(error)}`));
  return client;
}

/**
 * Flagline and unleash-server side by side on the same machine and PostgreSQL: ruleset download and remote
 * evaluation under load (alternating), in-process evaluation, change propagation to an SDK, bucketing agreement.
 */
export async function benchPeers(): Promise<void> {
  const started = performance.now();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const loadBefore = loadavg();
  const cleanups: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const { name, run } of cleanups.reverse()) {
        try {
          await run();
        } catch (error) {
          process.stderr.write(`  [peers] clean-up "${name}" failed: ${String(error)}\n`);
        }
      }
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!cleaning) process.stderr.write(`  [peers] ${signal}: cleaning up …\n`);
    void cleanUp().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const folder = await installUnleashServer();
    const unleashDb = await createDatabase(adminUrl, 'unleash_peers');
    cleanups.push({ name: `drop ${unleashDb.name}`, run: () => unleashDb.drop() });
    const flaglineDb = await createDatabase(adminUrl, 'flagline_peers');
    cleanups.push({ name: `drop ${flaglineDb.name}`, run: () => flaglineDb.drop() });

    const unleash = await startUnleash(folder, new URL(unleashDb.url));
    cleanups.push({ name: 'stop unleash-server', run: () => unleash.stop() });
    // Runs after the unleash-clients are destroyed: a poll already in flight then still finds its server. Without the
    // wait it could fail after destroy() had removed the client's error listener, and crash the finished bench.
    cleanups.push({ name: 'let unleash-client polls in flight finish', run: () => sleep(1_500) });
    progress('starting flagline serve …');
    const flagline = await startFlagline({
      DATABASE_URL: flaglineDb.url,
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
    });
    cleanups.push({ name: 'stop flagline serve', run: () => flagline.stop() });
    const admin = new FlaglineClient({ url: flagline.url, token: ADMIN_TOKEN });
    const token = (await admin.createToken({ name: 'bench peers', role: 'client', environment: 'production' })).secret;
    progress(`flagline on ${flagline.url}, unleash on ${unleash.url}`);

    const keys = Array.from({ length: Math.max(...DATASETS) }, (_, i) => flagKey(i));
    const flaglineAuth = { authorization: `Bearer ${token}` };
    const targets = {
      unleashRuleset: {
        name: 'Unleash GET /api/client/features',
        system: 'unleash',
        url: unleash.url,
        method: 'GET',
        headers: { authorization: UNLEASH_SECRETS.client },
        path: () => '/api/client/features',
      },
      flaglineRuleset: {
        name: 'Flagline GET /api/client/flags',
        system: 'flagline',
        url: flagline.url,
        method: 'GET',
        headers: flaglineAuth,
        path: () => '/api/client/flags',
      },
      unleashFrontend: {
        name: 'Unleash GET /api/frontend',
        system: 'unleash',
        url: unleash.url,
        method: 'GET',
        headers: { authorization: UNLEASH_SECRETS.frontend },
        path: (n) => `/api/frontend?userId=${userAt(n)}`,
      },
      flaglineConfig: {
        name: 'Flagline GET /api/config/flags',
        system: 'flagline',
        url: flagline.url,
        method: 'GET',
        headers: flaglineAuth,
        path: (n) => `/api/config/flags?userId=${userAt(n)}`,
      },
      flaglineOfrep: {
        name: 'Flagline POST /ofrep/v1/evaluate/flags',
        system: 'flagline',
        url: flagline.url,
        method: 'POST',
        headers: { ...flaglineAuth, 'content-type': 'application/json' },
        path: () => '/ofrep/v1/evaluate/flags',
        body: (n) => JSON.stringify({ context: { targetingKey: userAt(n) } }),
      },
    } satisfies Record<string, LoadTarget>;

    // 1. Load: each dataset loaded into both, then the endpoints alternate.
    const ruleset: Comparison[] = [];
    const remoteEvaluation: Comparison[] = [];
    let loaded = 0;
    for (const size of DATASETS) {
      const batch = keys.slice(loaded, size);
      let t = performance.now();
      await pool(batch, 4, (key) => createUnleashFlag(unleash.url, key, ROLLOUT));
      progress(`unleash: ${batch.length} flags created in ${round((performance.now() - t) / 1000)} s`);
      t = performance.now();
      await pool(batch, 4, async (key) => {
        await admin.createFlag({ key });
        await admin.updateFlag(key, { enabled: true, rolloutPercentage: ROLLOUT });
      });
      progress(`flagline: ${batch.length} flags created in ${round((performance.now() - t) / 1000)} s`);
      loaded = size;

      // Both serve from caches refreshed after a change: measure only once each reports the whole dataset.
      await until(`Unleash /api/client/features with ${size} flags`, async () => {
        const body = await unleashApi<{ features: unknown[] }>(
          unleash.url,
          UNLEASH_SECRETS.client,
          'GET',
          '/api/client/features',
        );
        return body.features.length === size;
      });
      await until(`Unleash /api/frontend with ${size} flags`, async () => {
        // At 50 %, 40 users between them get every flag (a flag missed by all 40: 2^-40).
        const seen = new Set<string>();
        for (let u = 0; u < 40; u++)
          for (const name of await unleashFrontendToggles(unleash.url, `probe-${u}`)) seen.add(name);
        return seen.size === size;
      });
      await until(`Flagline /api/config/flags with ${size} flags`, async () => {
        const response = await fetch(`${flagline.url}/api/config/flags?userId=probe`, { headers: flaglineAuth });
        return Object.keys((await response.json()) as Record<string, boolean>).length === size;
      });

      progress(`${size} flags: ruleset download, ${LOAD.connections} connections`);
      const [u, f] = await alternate([targets.unleashRuleset, targets.flaglineRuleset], LOAD, progress);
      ruleset.push(compare(size, u!, f!));
      progress(`${size} flags: remote evaluation, ${LOAD.connections} connections`);
      const [ue, fc, fo] = await alternate(
        [targets.unleashFrontend, targets.flaglineConfig, targets.flaglineOfrep],
        LOAD,
        progress,
      );
      remoteEvaluation.push(compare(size, ue!, fc!), compare(size, ue!, fo!));
    }

    // 2. Agreement between the servers: every flag for 1 000 users.
    progress(`agreement: /api/frontend vs /api/config/flags, ${SERVER_AGREEMENT_USERS} users × ${keys.length} flags`);
    const servers = { checked: 0, agree: 0 };
    await pool(
      Array.from({ length: SERVER_AGREEMENT_USERS }, (_, i) => `agree-${i}`),
      8,
      async (userId) => {
        const on = new Set(await unleashFrontendToggles(unleash.url, userId));
        const response = await fetch(`${flagline.url}/api/config/flags?userId=${encodeURIComponent(userId)}`, {
          headers: flaglineAuth,
        });
        const values = (await response.json()) as Record<string, boolean>;
        for (const key of keys) {
          servers.checked++;
          if (on.has(key) === values[key]) servers.agree++;
        }
      },
    );

    // 3. The SDKs, each following its own server.
    progress('starting the SDKs: unleash-client at 15 s and at 1 s, FlaglineProvider over SSE');
    const unleash15 = unleashClient(unleash.url, PROPAGATION.unleash15s.refreshMs);
    cleanups.push({ name: 'unleash-client 15 s', run: () => unleash15.destroy() });
    const unleash1 = unleashClient(unleash.url, PROPAGATION.unleash1s.refreshMs);
    cleanups.push({ name: 'unleash-client 1 s', run: () => unleash1.destroy() });
    const provider = new FlaglineProvider({ url: flagline.url, token });
    cleanups.push({ name: 'FlaglineProvider', run: () => OpenFeature.close() });
    await Promise.all(
      [unleash15, unleash1].map((client) =>
        client.isSynchronized() ? undefined : Promise.race([once(client, 'synchronized'), sleep(10_000)]),
      ),
    );
    await OpenFeature.setProviderAndWait('peers', provider);
    const openFeature = OpenFeature.getClient('peers');
    await sleep(500); // let the stream connect
    for (const client of [unleash15, unleash1]) {
      const count = client.getFeatureToggleDefinitions()?.length ?? 0;
      if (count !== keys.length) throw new Error(`unleash-client has ${count} flags, expected ${keys.length}`);
    }

    // 4. Agreement in-process: unleash-client's own evaluation vs Flagline's, ≥ 100 000 pairs, three kinds of ids.
    const agreementUsers = Array.from({ length: LOCAL_AGREEMENT_USERS }, (_, i) =>
      i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? randomUUID() : `person.${i}@example.com`,
    );
    const local = localAgreement(
      provider,
      unleash15,
      agreementUsers.flatMap((user) => keys.map((key) => [key, user] as const)),
    );
    const serverShare = round(servers.agree / servers.checked, 4);
    const agreementVerdict: Verdict = {
      met: local.share === 1 && serverShare === 1,
      text: `${local.share === 1 && serverShare === 1 ? 'met' : 'MISSED'}: ${local.agree}/${local.checked} locally, ${servers.agree}/${servers.checked} between the servers`,
    };
    progress(`agreement: ${agreementVerdict.text}`);

    // 5. In-process evaluation, interleaved rounds.
    progress(`in-process evaluation: ${keys.length} flags, ${USERS} users, ${IN_PROCESS.rounds} rounds`);
    const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    const growthbook = growthbookWithRollout(keys, ROLLOUT / 100);
    const inProcess = await measureLibraries(
      { provider, unleash: unleash15, growthbook, openFeature },
      keys,
      users,
      IN_PROCESS,
    );
    const nsOf = (name: string) => inProcess.results[name]?.wallNsPerOp.median;
    const fasterThanBoth = inProcess.fasterThanUnleash && inProcess.fasterThanGrowthBook;
    const inProcessVerdict: Verdict = {
      met: fasterThanBoth,
      text: `${fasterThanBoth ? 'met' : 'MISSED'}: ${nsOf(FLAGLINE_CANDIDATE)} ns/op vs unleash-client ${nsOf(UNLEASH_CANDIDATE)} (${inProcess.ratios[UNLEASH_CANDIDATE]}×) and GrowthBook ${nsOf(GROWTHBOOK_CANDIDATE)} (${inProcess.ratios[GROWTHBOOK_CANDIDATE]}×); through the OpenFeature client (not part of the target) ${nsOf(OPENFEATURE_CANDIDATE)} ns/op, ${round((nsOf(OPENFEATURE_CANDIDATE) ?? Number.NaN) / (nsOf(UNLEASH_CANDIDATE) ?? Number.NaN), 1)}× unleash-client's isEnabled, of which ${nsOf(OPENFEATURE_BASELINE)} ns/op is the OpenFeature SDK's own (the same call with a provider returning a constant)`,
    };
    progress(`in-process: ${inProcessVerdict.text}`);

    // 6. Propagation: flip one flag for a user inside its 50 %, time until each SDK serves the new value.
    const propagationKey = keys[0] as string;
    let probeUser = 0;
    while (
      !provider.resolveBoolean(propagationKey, false, { targetingKey: `probe-${probeUser}` }).value ||
      !unleash15.isEnabled(propagationKey, { userId: `probe-${probeUser}` })
    )
      probeUser++;
    const probe = `probe-${probeUser}`;
    const unleashObserver = (client: Unleash, name: string): Observer => ({
      name,
      read: () => client.isEnabled(propagationKey, { userId: probe }),
      onChange: (listener) => {
        client.on('changed', listener);
        return () => client.off('changed', listener);
      },
    });
    const flaglineObserver: Observer = {
      name: 'FlaglineProvider',
      read: () => provider.resolveBoolean(propagationKey, false, { targetingKey: probe }).value,
      onChange: (listener) => {
        provider.events.addHandler(ProviderEvents.ConfigurationChanged, listener);
        return () => provider.events.removeHandler(ProviderEvents.ConfigurationChanged, listener);
      },
    };
    const observe15 = unleashObserver(unleash15, 'unleash-client 15 s');
    const observe1 = unleashObserver(unleash1, 'unleash-client 1 s');
    const flipUnleash = (value: boolean) => setUnleashFlagEnabled(unleash.url, propagationKey, value);

    const { unleash15s: p15, unleash1s: p1 } = PROPAGATION;
    progress(`propagation: ${p15.changes} Unleash changes seen by both unleash-clients (≈${p15.changes * 16} s)`);
    const slow = await measurePropagation(
      {
        change: flipUnleash,
        observers: [observe15, observe1],
        changes: p15.changes,
        delayBeforeMs: () => Math.random() * p15.refreshMs,
        timeoutMs: p15.refreshMs + 10_000,
      },
      true,
      progress,
    );
    const extra = p1.changes - p15.changes;
    progress(`propagation: ${extra} more Unleash changes for the 1 s unleash-client`);
    const fast = await measurePropagation(
      {
        change: flipUnleash,
        observers: [observe1],
        changes: extra,
        delayBeforeMs: () => Math.random() * p1.refreshMs,
        timeoutMs: p1.refreshMs + 5_000,
      },
      p15.changes % 2 === 0,
      progress,
    );
    progress(`propagation: ${PROPAGATION.flagline.changes} Flagline changes`);
    const flaglinePropagation = await measurePropagation(
      {
        change: (value) => admin.updateFlag(propagationKey, { enabled: value }),
        observers: [flaglineObserver],
        changes: PROPAGATION.flagline.changes,
        delayBeforeMs: () => PROPAGATION.flagline.gapMs,
        timeoutMs: 5_000,
      },
      true,
      progress,
    );
    const merge = (...parts: (PropagationStats | undefined)[]): PropagationStats => {
      const raw = parts.flatMap((part) => part?.raw ?? []);
      const lost = parts.reduce((sum, part) => sum + (part?.lost ?? 0), 0);
      return { samples: raw.length, lost, ms: raw.length ? summarise(raw) : null, raw };
    };
    const unleash15s = merge(slow[observe15.name]);
    const unleash1s = merge(slow[observe1.name], fast[observe1.name]);
    const flaglineStats = merge(flaglinePropagation[flaglineObserver.name]);
    const medianOf = (stats: PropagationStats) => stats.ms?.p50 ?? Number.NaN;
    const flaglineP99 = flaglineStats.ms?.p99 ?? Number.NaN;
    const propagationMet = flaglineStats.lost === 0 && flaglineP99 < PROPAGATION_P99_TARGET_MS;
    const propagationVerdict: Verdict = {
      met: propagationMet,
      text: `${propagationMet ? 'met' : 'MISSED'}: Flagline p99 ${flaglineP99} ms (max ${flaglineStats.ms?.max} ms, ${flaglineStats.lost} lost) vs unleash-client median ${medianOf(unleash1s)} ms at 1 s and ${medianOf(unleash15s)} ms at 15 s`,
    };
    progress(`propagation: ${propagationVerdict.text}`);

    // 7. Flags with rules (#12): remote evaluation with attributes, and the in-process cost of rules.
    const rules = await benchRemoteRules({
      unleashUrl: unleash.url,
      flaglineUrl: flagline.url,
      admin,
      token,
      totalFlags: keys.length + RULED_FLAGS,
      load: LOAD,
      progress,
      pool,
      until,
    });
    progress('in-process evaluation of a flag with 5 rules × 3 constraints');
    const targeting = await measureTargeting();

    const summary: PeersSummary = {
      recordedAt: new Date().toISOString(),
      wallTimeS: round((performance.now() - started) / 1000),
      machine: machine(),
      loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) },
      versions: {
        'unleash-server': UNLEASH_SERVER_VERSION,
        'unleash-client': packageVersion('node_modules/unleash-client/package.json'),
        '@growthbook/growthbook': packageVersion('node_modules/@growthbook/growthbook/package.json'),
        autocannon: packageVersion('node_modules/autocannon/package.json'),
        Flagline: `${packageVersion('packages/server/package.json')} (${gitCommit()})`,
        PostgreSQL:
          (await queryServer<{ server_version: string }>(adminUrl, 'show server_version'))[0]?.server_version ?? '?',
      },
      settings: {
        connections: LOAD.connections,
        durationS: LOAD.durationS,
        warmupS: LOAD.warmupS,
        rounds: LOAD.rounds,
        rollout: ROLLOUT,
        inProcessIterations: IN_PROCESS.iterations.sync,
        openFeatureIterations: IN_PROCESS.iterations.openFeature,
        inProcessRounds: IN_PROCESS.rounds,
      },
      ruleset,
      remoteEvaluation,
      rules: { ...rules, inProcess: targeting },
      inProcess: {
        flags: keys.length,
        users: USERS,
        results: inProcess.results,
        ratios: inProcess.ratios,
        verdict: inProcessVerdict,
      },
      propagation: {
        unleash15s,
        unleash1s,
        flagline: flaglineStats,
        ratios: {
          vsUnleash15s: round(medianOf(flaglineStats) / medianOf(unleash15s), 4),
          vsUnleash1s: round(medianOf(flaglineStats) / medianOf(unleash1s), 4),
        },
        verdict: propagationVerdict,
      },
      agreement: {
        local,
        servers: { ...servers, share: serverShare, users: SERVER_AGREEMENT_USERS, flags: keys.length },
        verdict: agreementVerdict,
      },
      unleashLogTail: unleash.logTail().filter((line) => !line.startsWith('flagline-peers:')),
    };
    printSummary(summary);
    if (QUICK) {
      const markdown = join(tmpdir(), 'flagline-peers-quick.md');
      writeFileSync(markdown, renderMarkdown(summary));
      process.stdout.write(`quick run: report in ${markdown}, nothing written to bench/results\n`);
    } else {
      const path = writeResult('peers', { ...summary });
      const markdown = join(root, 'bench/results/peers.md');
      // The relay bench's rows (npm run bench -- relay) stay until it runs again.
      const previous = readFileSync(markdown, 'utf8');
      writeFileSync(markdown, keepRelayBlock(renderMarkdown(summary), previous));
      process.stdout.write(`written to ${path} and ${markdown}\n`);
    }
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function printSummary(s: PeersSummary): void {
  const line = (text: string) => process.stdout.write(`${text}\n`);
  const load = (label: string, c: Comparison) =>
    line(
      `${label} ${String(c.dataset).padStart(3)} flags  ${c.unleash.requestsPerSecond} vs ${c.flagline.requestsPerSecond} req/s (${c.requestsPerSecondRatio}×), p99 ${c.unleash.p99Ms} vs ${c.flagline.p99Ms} ms  ${c.verdict.met ? 'met' : 'MISSED'}`,
    );
  line(
    `peers (Unleash vs Flagline), ${Math.round(s.wallTimeS)} s, load ${s.loadAverage.before[0]} → ${s.loadAverage.after[0]}`,
  );
  for (const c of s.ruleset) load('ruleset          ', c);
  for (const c of s.remoteEvaluation)
    load(`remote ${c.flagline.name.includes('ofrep') ? 'OFREP bulk' : 'config    '}`, c);
  line(`in-process        ${s.inProcess.verdict.text}`);
  line(`propagation       ${s.propagation.verdict.text}`);
  line(`agreement         ${s.agreement.verdict.text}`);
  if (s.rules) {
    for (const c of s.rules.comparisons) load('rules OFREP bulk  ', c);
    line(`rules agreement   ${s.rules.agreement.verdict.text}`);
    const met = s.rules.inProcess.met;
    line(
      `rules in-process  ${Object.values(met).every(Boolean) ? 'met' : 'MISSED'}: ${JSON.stringify(met)} (${s.rules.inProcess.results['Flagline evaluateFlag, 5 rules × 3 constraints']?.wallNsPerOp.median} ns/op)`,
    );
  }
}
