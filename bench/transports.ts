import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine, root, round, writeResult } from './lib';
import { alternate, type LoadOptions, type LoadTarget, type TargetResult } from './peers/load';

const ADMIN_TOKEN = 'bench-transports-admin-token-0123456789';
const DATASETS = [5, 350];
const USERS = 10_000;
const QUICK = process.env.TRANSPORTS_QUICK === '1';
const LOAD: LoadOptions = QUICK
  ? { connections: 50, durationS: 1, warmupS: 1, rounds: 2 }
  : { connections: 50, durationS: 5, warmupS: 2, rounds: 3 };
/** The checkout whose fast path runs beside this one's (TRANSPORTS_BASELINE_ROOT, e.g. a worktree of main). */
const BASELINE_ROOT = process.env.TRANSPORTS_BASELINE_ROOT;

interface Transport {
  name: string;
  url: string;
  child: ChildProcess;
}

async function startTransport(name: string, variant: string, transportRoot?: string): Promise<Transport> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/transports/serve.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TRANSPORT: variant,
      ...(transportRoot ? { TRANSPORT_ROOT: transportRoot } : {}),
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { name, url, child };
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** Flags up to `count`, each on at 50 % (the peers bench's dataset). */
async function seed(url: string, from: number, count: number): Promise<void> {
  for (let i = from; i < count; i++) {
    const key = `peer-flag-${String(i).padStart(3, '0')}`;
    await api(url, 'POST', '/api/admin/flags', { key });
    await api(url, 'PATCH', `/api/admin/flags/${key}`, { enabled: true, rolloutPercentage: 50 });
  }
}

function targets(transport: Transport, token: string): LoadTarget[] {
  const headers = { authorization: `Bearer ${token}` };
  const common = { system: 'flagline' as const, url: transport.url };
  return [
    {
      ...common,
      name: `${transport.name} · GET /api/config/flags`,
      method: 'GET',
      headers,
      path: (n) => `/api/config/flags?userId=user-${n % USERS}`,
    },
    {
      ...common,
      name: `${transport.name} · GET /api/client/flags`,
      method: 'GET',
      headers,
      path: () => '/api/client/flags',
    },
    {
      ...common,
      name: `${transport.name} · POST /ofrep/v1/evaluate/flags`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      path: () => '/ofrep/v1/evaluate/flags',
      body: (n) => JSON.stringify({ context: { targetingKey: `user-${n % USERS}` } }),
    },
  ];
}

/**
 * The evaluation routes served three ways from this checkout — the node:http fast path, a bare Hono app holding only
 * these routes, the full Hono app — and, with TRANSPORTS_BASELINE_ROOT, the fast path of another checkout; each in its
 * own process, the same requests as the peers bench, alternated round by round (issue #11 item 1: drop the fast path
 * if a bare Hono app comes within 10 % of it).
 */
export async function benchTransports(): Promise<void> {
  const loadBefore = loadavg();
  const started = Date.now();
  const transports: Transport[] = [];
  try {
    transports.push(await startTransport('fast path', 'fast'));
    if (BASELINE_ROOT) transports.push(await startTransport('baseline fast path', 'fast', BASELINE_ROOT));
    transports.push(await startTransport('bare Hono', 'bare'));
    transports.push(await startTransport('full Hono app', 'hono'));
    const results: { flags: number; endpoint: string; results: TargetResult[] }[] = [];
    let seeded = 0;
    for (const flags of DATASETS) {
      await Promise.all(transports.map((transport) => seed(transport.url, seeded, flags)));
      seeded = flags;
      const tokens = await Promise.all(
        transports.map(async (transport) => {
          const { secret } = (await api(transport.url, 'POST', '/api/admin/tokens', {
            name: `bench ${flags}`,
            role: 'client',
            environment: 'production',
          })) as { secret: string };
          return secret;
        }),
      );
      const perTransport = transports.map((transport, i) => targets(transport, tokens[i] as string));
      for (let endpoint = 0; endpoint < 3; endpoint++) {
        const group = perTransport.map((list) => list[endpoint] as LoadTarget);
        const measured = await alternate(group, LOAD, (line) =>
          process.stdout.write(`  [transports ${flags}] ${line}\n`),
        );
        results.push({ flags, endpoint: (group[0]?.name ?? '').split(' · ')[1] ?? '', results: measured });
      }
    }
    const fastest = (list: TargetResult[]) => list[0]?.requestsPerSecond ?? 0;
    const summary = {
      scenario: `the peers bench's requests (user id varies over ${USERS}), ${LOAD.connections} connections, median of ${LOAD.rounds} alternating rounds of ${LOAD.durationS} s after ${LOAD.warmupS} s warm-up; each transport its own process on the embedded database (memory)`,
      machine: machine(),
      loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) },
      wallSeconds: Math.round((Date.now() - started) / 1000),
      results: results.map(({ flags, endpoint, results: list }) => ({
        flags,
        endpoint,
        transports: list.map((result) => ({
          name: result.name.split(' · ')[0],
          requestsPerSecond: result.requestsPerSecond,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          errors: result.errors,
          non2xx: result.non2xx,
          shareOfFastPath: round(result.requestsPerSecond / fastest(list), 3),
          rounds: result.rounds.map((r) => r.requestsPerSecond),
        })),
      })),
    };
    const path = writeResult('transports', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    for (const transport of transports) transport.child.kill('SIGTERM');
  }
}
