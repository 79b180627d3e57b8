import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { OfrepBulkResponse } from '@flagline/core';
import { followChangeNotices } from '../../packages/sdk/src/change-notices';
import { FlaglineClient } from '../../packages/sdk/src/client';
import { createDatabase, freePort, root, round, sleep, startFlagline, summarise, writeResult } from '../lib';
import { alternate, type LoadTarget } from './load';
import { measurePropagation, type Observer } from './propagation';

/*
 * #13 item 8: propagation from an admin change (made on instance A) to an SDK behind a relay (whose upstream is
 * instance B, so the change crosses PostgreSQL's NOTIFY and the relay) p99 ≤ 50 ms, to an SDK directly on instance B
 * p99 ≤ 25 ms; and one relay's remote evaluation (OFREP bulk, the peers bench's load generator) at least the server's.
 * Item 2 too: a browser (frontend token: change notices, then OFREP bulk) behind the relay and on B, p99 ≤ 100 ms.
 * Bounded: about a minute and a half.
 */
export const RELAY_PROPAGATION_P99_TARGET_MS = 50;
export const DIRECT_PROPAGATION_P99_TARGET_MS = 25;
/** #13 item 2: browsers get live updates within the same ≤ 100 ms as server SDKs. */
export const BROWSER_PROPAGATION_P99_TARGET_MS = 100;
const ADMIN_TOKEN = 'relay-bench-admin-token-0123456789abcdef';
const CHANGES = 150;
const FLAGS = 50;
const LOAD = { connections: 50, durationS: 5, warmupS: 2, rounds: 3 };
const FLAG = 'relay-bench-watched';
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP'];
/** What `--workers auto` starts: one per core. */
const RELAY_WORKERS = availableParallelism();

/** The relay rows' place in bench/results/peers.md: the peers report keeps them when it rewrites the file. */
const BLOCK_START = '<!-- relay:start -->';
const BLOCK_END = '<!-- relay:end -->';

/** `markdown` with the relay block of `previous` (if any) carried over at its end. */
export function keepRelayBlock(markdown: string, previous: string | undefined): string {
  const start = previous?.indexOf(BLOCK_START) ?? -1;
  const end = previous?.indexOf(BLOCK_END) ?? -1;
  if (!previous || start === -1 || end === -1) return markdown;
  return `${markdown.trimEnd()}\n\n${previous.slice(start, end + BLOCK_END.length)}\n`;
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
}

async function startRelay(upstream: string, token: string, workers: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages/server/bin/flagline.js'),
      'relay',
      '--upstream',
      upstream,
      '--token',
      token,
      '--workers',
      workers,
    ],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url}/readyz`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the relay did not become ready');
    await sleep(100);
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One observer's value of the watched flag, and what it tells the bench when the SDK serves a new one. */
function watchedValue(name: string): { observer: Observer; serve(value: boolean): void } {
  let enabled = false;
  const listeners = new Set<() => void>();
  return {
    serve: (value) => {
      enabled = value;
      for (const listener of listeners) listener();
    },
    observer: {
      name,
      read: () => enabled,
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}

/** An SDK's live view of one flag through client.stream() (snapshot, then changes). */
function streamObserver(name: string, url: string, token: string, signal: AbortSignal): Observer {
  const watched = watchedValue(name);
  void (async () => {
    for await (const event of new FlaglineClient({ url, token }).stream({ signal })) {
      if (event.type === 'snapshot') watched.serve(event.ruleset.flags.find((f) => f.key === FLAG)?.enabled ?? false);
      else if (event.type === 'change') {
        const changed = event.change.changed.find((f) => f.key === FLAG);
        if (changed) watched.serve(changed.enabled);
      }
    }
  })().catch(() => undefined);
  return watched.observer;
}

/**
 * A browser's live view of one flag, as `@flagline/sdk/web` gets it with a frontend token: change notices from
 * /api/config/stream, then the values again from OFREP bulk for its context (a frontend token never sees rules).
 */
function browserObserver(name: string, url: string, token: string, signal: AbortSignal): Observer {
  const watched = watchedValue(name);
  const evaluate = async () => {
    const response = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'browser-user' } }),
      signal,
    });
    const { flags } = (await response.json()) as OfrepBulkResponse;
    const flag = flags.find((entry) => entry.key === FLAG);
    watched.serve(flag !== undefined && 'value' in flag && flag.value === true);
  };
  void (async () => {
    for await (const notice of followChangeNotices({ url, token, signal })) {
      if (notice.type === 'ready' || (notice.type === 'change' && notice.flags.includes(FLAG))) await evaluate();
    }
  })().catch(() => undefined);
  return watched.observer;
}

export async function benchRelay(): Promise<void> {
  const progress = (line: string) => process.stdout.write(`  ${line}\n`);
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = await createDatabase(adminUrl, 'flagline_relay_bench');
  const env = { DATABASE_URL: database.url, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN };
  const stops: (() => Promise<void>)[] = [];
  const abort = new AbortController();
  // Two cores shared with other work: the load average says how much of a run's figures is the machine.
  const loadBefore = loadavg().map((value) => round(value, 2));
  try {
    const [a, b] = [await startFlagline(env), await startFlagline(env)];
    stops.push(a.stop, b.stop);
    progress(`instances A ${a.url}, B ${b.url} on PostgreSQL`);
    await admin(a.url, 'POST', '/api/admin/flags', { key: FLAG });
    await admin(a.url, 'PATCH', `/api/admin/flags/${FLAG}?environment=production`, { rolloutPercentage: 100 });
    for (let i = 0; i < FLAGS; i++) {
      const key = `relay-bench-${String(i).padStart(2, '0')}`;
      await admin(a.url, 'POST', '/api/admin/flags', { key });
      await admin(a.url, 'PATCH', `/api/admin/flags/${key}/targeting?environment=production`, {
        enabled: true,
        rolloutPercentage: 50,
        rules: [
          {
            id: 'country',
            constraints: [{ attribute: 'country', operator: 'IN', values: COUNTRIES.slice(i % 3, (i % 3) + 2) }],
            serve: { variant: 'on' },
          },
        ],
      });
    }
    const tokenResponse = await fetch(`${a.url}/api/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'relay bench', role: 'server', environment: 'production' }),
    });
    const { secret } = (await tokenResponse.json()) as { secret: string };
    const frontendResponse = await fetch(`${a.url}/api/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'relay bench browser',
        role: 'frontend',
        environment: 'production',
        allowedOrigins: ['https://app.example.com'],
      }),
    });
    const { secret: frontendSecret } = (await frontendResponse.json()) as { secret: string };
    // The relay as deployed for scale: one process per core (`--workers auto`), as Unleash Edge uses every core. A
    // single-process relay is measured beside it, so the figure shows what the workers add.
    const relay = await startRelay(b.url, secret, 'auto');
    stops.push(relay.stop);
    progress(`relay ${relay.url} (upstream B, ${RELAY_WORKERS} workers)`);

    const observers = [
      streamObserver('relay', relay.url, secret, abort.signal),
      streamObserver('direct', b.url, secret, abort.signal),
      browserObserver('browserRelay', relay.url, frontendSecret, abort.signal),
      browserObserver('browserDirect', b.url, frontendSecret, abort.signal),
    ];
    await sleep(1000);
    const adminWrites: number[] = [];
    const propagation = await measurePropagation(
      {
        // The admin write's own time is inside every propagation sample: recorded so a slow tail can be told apart
        // from delivery (on this shared machine an occasional write takes 60–100 ms before it commits).
        change: async (value) => {
          const started = performance.now();
          await admin(a.url, 'PATCH', `/api/admin/flags/${FLAG}?environment=production`, { enabled: value });
          adminWrites.push(performance.now() - started);
        },
        observers,
        changes: CHANGES,
        delayBeforeMs: () => 20 + Math.random() * 40,
        timeoutMs: 5_000,
      },
      false,
      progress,
    );

    // Started only now, so its stream and recompiles do not share the cores with the propagation measured above.
    const singleRelay = await startRelay(b.url, secret, '1');
    stops.push(singleRelay.stop);
    progress(`single-process relay ${singleRelay.url} (upstream B)`);
    const target = (name: string, url: string): LoadTarget => ({
      name,
      system: 'flagline',
      url,
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      path: () => '/ofrep/v1/evaluate/flags',
      body: (n) =>
        JSON.stringify({ context: { targetingKey: `user-${n % 10_000}`, country: COUNTRIES[n % COUNTRIES.length] } }),
    });
    const load = await alternate(
      [
        target('server (instance B) OFREP bulk', b.url),
        target(`relay (${RELAY_WORKERS} workers) OFREP bulk`, relay.url),
        target('relay (1 process) OFREP bulk', singleRelay.url),
      ],
      LOAD,
      progress,
    );
    const [server, relayed, single] = load as [(typeof load)[0], (typeof load)[0], (typeof load)[0]];
    const relayP99 = propagation.relay?.ms?.p99 ?? Number.NaN;
    const directP99 = propagation.direct?.ms?.p99 ?? Number.NaN;
    const browserRelayP99 = propagation.browserRelay?.ms?.p99 ?? Number.NaN;
    const browserDirectP99 = propagation.browserDirect?.ms?.p99 ?? Number.NaN;
    const summary = {
      setup: {
        instances: 2,
        relays: 1,
        relayWorkers: RELAY_WORKERS,
        database: 'postgresql',
        flags: FLAGS + 1,
        changes: CHANGES,
        load: LOAD,
      },
      loadAverage: { before: loadBefore, after: loadavg().map((value) => round(value, 2)) },
      propagation: {
        adminWriteMs: summarise(adminWrites.map((ms) => round(ms, 1))),
        relay: { ...propagation.relay, raw: undefined },
        direct: { ...propagation.direct, raw: undefined },
        browserRelay: { ...propagation.browserRelay, raw: undefined },
        browserDirect: { ...propagation.browserDirect, raw: undefined },
        verdict: {
          relay: {
            p99Ms: relayP99,
            targetMs: RELAY_PROPAGATION_P99_TARGET_MS,
            met: relayP99 <= RELAY_PROPAGATION_P99_TARGET_MS,
          },
          direct: {
            p99Ms: directP99,
            targetMs: DIRECT_PROPAGATION_P99_TARGET_MS,
            met: directP99 <= DIRECT_PROPAGATION_P99_TARGET_MS,
          },
          browser: {
            p99Ms: Math.max(browserRelayP99, browserDirectP99),
            targetMs: BROWSER_PROPAGATION_P99_TARGET_MS,
            met: Math.max(browserRelayP99, browserDirectP99) <= BROWSER_PROPAGATION_P99_TARGET_MS,
          },
        },
      },
      throughput: {
        server: { requestsPerSecond: server.requestsPerSecond, p99Ms: server.p99Ms, non2xx: server.non2xx },
        relay: { requestsPerSecond: relayed.requestsPerSecond, p99Ms: relayed.p99Ms, non2xx: relayed.non2xx },
        singleProcessRelay: { requestsPerSecond: single.requestsPerSecond, p99Ms: single.p99Ms, non2xx: single.non2xx },
        ratio: round(relayed.requestsPerSecond / server.requestsPerSecond, 3),
        singleProcessRatio: round(single.requestsPerSecond / server.requestsPerSecond, 3),
        met: relayed.requestsPerSecond >= server.requestsPerSecond,
      },
    };
    const path = writeResult('relay', summary);
    const rows = [
      BLOCK_START,
      '## Relay (#13): two instances and one relay on PostgreSQL',
      '',
      `Written by \`npm run bench -- relay\` (${path.slice(path.indexOf('bench/results/'))}). A change made on instance A; the relay's upstream is instance B. Load average (1 min) ${loadBefore[0]} before, ${round(loadavg()[0] ?? 0, 2)} after, on ${cpus().length} cores. One run: the propagation p99s move with the shared machine from run to run, so \`bench/results/relay-runs.md\` keeps every run with its spread.`,
      '',
      '| measure | result | target | met |',
      '| --- | --- | --- | --- |',
      `| change → SDK stream behind the relay, p99 | ${relayP99} ms (p50 ${propagation.relay?.ms?.p50} ms, ${propagation.relay?.lost} lost of ${CHANGES}) | ≤ ${RELAY_PROPAGATION_P99_TARGET_MS} ms | ${summary.propagation.verdict.relay.met ? 'yes' : 'no'} |`,
      `| change → SDK stream on instance B, p99 | ${directP99} ms (p50 ${propagation.direct?.ms?.p50} ms, ${propagation.direct?.lost} lost) | ≤ ${DIRECT_PROPAGATION_P99_TARGET_MS} ms | ${summary.propagation.verdict.direct.met ? 'yes' : 'no'} |`,
      `| change → browser behind the relay (frontend token: change notice, then OFREP bulk), p99 | ${browserRelayP99} ms (p50 ${propagation.browserRelay?.ms?.p50} ms, ${propagation.browserRelay?.lost} lost) | ≤ ${BROWSER_PROPAGATION_P99_TARGET_MS} ms | ${browserRelayP99 <= BROWSER_PROPAGATION_P99_TARGET_MS ? 'yes' : 'no'} |`,
      `| change → browser on instance B (the same), p99 | ${browserDirectP99} ms (p50 ${propagation.browserDirect?.ms?.p50} ms, ${propagation.browserDirect?.lost} lost) | ≤ ${BROWSER_PROPAGATION_P99_TARGET_MS} ms | ${browserDirectP99 <= BROWSER_PROPAGATION_P99_TARGET_MS ? 'yes' : 'no'} |`,
      `| OFREP bulk req/s, relay (\`--workers auto\`: ${RELAY_WORKERS}) vs server (${LOAD.connections} connections, median of ${LOAD.rounds}) | ${relayed.requestsPerSecond} vs ${server.requestsPerSecond} (×${summary.throughput.ratio}) | ≥ server | ${summary.throughput.met ? 'yes' : 'no'} |`,
      `| the same, a single-process relay (for comparison) | ${single.requestsPerSecond} vs ${server.requestsPerSecond} (×${summary.throughput.singleProcessRatio}) | — | — |`,
      `| the admin write itself (PATCH on A until it answers), inside both rows above | p50 ${summary.propagation.adminWriteMs.p50} ms, p99 ${summary.propagation.adminWriteMs.p99} ms | — | — |`,
      BLOCK_END,
    ].join('\n');
    const markdown = join(root, 'bench/results/peers.md');
    const previous = existsSync(markdown) ? readFileSync(markdown, 'utf8') : '';
    const start = previous.indexOf(BLOCK_START);
    const end = previous.indexOf(BLOCK_END);
    const without =
      start === -1 || end === -1 ? previous : previous.slice(0, start) + previous.slice(end + BLOCK_END.length);
    writeFileSync(markdown, `${without.trimEnd()}\n\n${rows}\n`);
    process.stdout.write(`${rows}\nwritten to ${path} and ${markdown}\n`);
  } finally {
    abort.abort();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await database.drop();
  }
}
