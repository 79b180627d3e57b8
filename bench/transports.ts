import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine, median, root, round, writeResult } from './lib';
import { hit, type LoadOptions, type LoadTarget } from './peers/load';

const ADMIN_TOKEN = 'bench-transports-admin-token-0123456789';
/** TRANSPORTS_FLAGS=5 and TRANSPORTS_ONLY=fast,baseline narrow a run to what is being looked at. */
const DATASETS = (process.env.TRANSPORTS_FLAGS ?? '5,350').split(',').map(Number);
const ONLY = process.env.TRANSPORTS_ONLY?.split(',');
const wanted = (variant: string) => !ONLY || ONLY.includes(variant);
const USERS = 10_000;
const QUICK = process.env.TRANSPORTS_QUICK === '1';
const LOAD: LoadOptions = QUICK
  ? { connections: 50, durationS: 1, warmupS: 1, rounds: 2 }
  : { connections: 50, durationS: 4, warmupS: 2, rounds: Number(process.env.TRANSPORTS_ROUNDS ?? 4) };
/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;
/** The checkout whose fast path runs beside this one's (TRANSPORTS_BASELINE_ROOT, e.g. a worktree of main). */
const BASELINE_ROOT = process.env.TRANSPORTS_BASELINE_ROOT;

interface Transport {
  name: string;
  url: string;
  child: ChildProcess;
}

interface Round {
  requestsPerSecond: number;
  p99Ms: number;
  /** CPU the server process spent per answered request: what its throughput on a core of its own would be bound by. */
  cpuMicrosPerRequest: number;
  errors: number;
  non2xx: number;
}

/** User + system CPU of a process so far, in milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime field 14 and stime field 15 (proc(5)).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function measure(target: LoadTarget, pid: number, durationS: number): Promise<Round> {
  const before = cpuMs(pid);
  const result = await hit(target, LOAD.connections, durationS);
  const spent = cpuMs(pid) - before;
  return {
    requestsPerSecond: result.requestsPerSecond,
    p99Ms: result.latencyMs.p99,
    cpuMicrosPerRequest: result.requests > 0 ? round((spent * 1000) / result.requests, 1) : 0,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** Every target in turn, round by round (A B C D, then D C B A, …), so drift on the shared machine hits all alike. */
async function alternate(targets: { target: LoadTarget; pid: number }[], label: string): Promise<Round[][]> {
  for (const { target, pid } of targets) await measure(target, pid, LOAD.warmupS);
  const rounds: Round[][] = targets.map(() => []);
  for (let r = 0; r < LOAD.rounds; r++) {
    const order = targets.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const { target, pid } = targets[i] as (typeof targets)[number];
      const result = await measure(target, pid, LOAD.durationS);
      rounds[i]?.push(result);
      process.stdout.write(
        `  [transports ${label}] round ${r + 1}/${LOAD.rounds} ${target.name}: ${result.requestsPerSecond} req/s, ${result.cpuMicrosPerRequest} µs CPU/request, p99 ${result.p99Ms} ms${result.errors + result.non2xx > 0 ? ` errors ${result.errors} non-2xx ${result.non2xx}` : ''}\n`,
      );
    }
  }
  return rounds;
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
    if (BASELINE_ROOT && wanted('baseline')) {
      transports.push(await startTransport('baseline fast path', 'fast', BASELINE_ROOT));
    }
    if (wanted('bare')) transports.push(await startTransport('bare Hono', 'bare'));
    if (wanted('hono')) transports.push(await startTransport('full Hono app', 'hono'));
    const results: Record<string, unknown>[] = [];
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
        const group = transports.map((transport, i) => ({
          target: perTransport[i]?.[endpoint] as LoadTarget,
          pid: transport.child.pid as number,
        }));
        const rounds = await alternate(group, String(flags));
        const medians = rounds.map((list) => ({
          requestsPerSecond: Math.round(median(list.map((r) => r.requestsPerSecond))),
          cpuMicrosPerRequest: round(median(list.map((r) => r.cpuMicrosPerRequest)), 1),
          p99Ms: round(median(list.map((r) => r.p99Ms))),
        }));
        const fast = medians[0] as (typeof medians)[number];
        results.push({
          flags,
          endpoint: group[0]?.target.name.split(' · ')[1],
          transports: transports.map((transport, i) => ({
            name: transport.name,
            ...medians[i],
            throughputShareOfFastPath: round((medians[i]?.requestsPerSecond ?? 0) / fast.requestsPerSecond, 3),
            cpuShareOfFastPath: round(fast.cpuMicrosPerRequest / (medians[i]?.cpuMicrosPerRequest ?? 1), 3),
            errors: rounds[i]?.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
            rounds: rounds[i],
          })),
        });
      }
    }
    const summary = {
      scenario: `the peers bench's requests (user id varies over ${USERS}), ${LOAD.connections} connections, median of ${LOAD.rounds} alternating rounds of ${LOAD.durationS} s after ${LOAD.warmupS} s warm-up; each transport its own process on the embedded database (memory). cpuShareOfFastPath = fast path's CPU per request / this one's (1 = as cheap).`,
      machine: machine(),
      loadAverage: { before: loadBefore.map((v) => round(v, 2)), after: loadavg().map((v) => round(v, 2)) },
      wallSeconds: Math.round((Date.now() - started) / 1000),
      results,
    };
    const path = writeResult('transports', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    for (const transport of transports) transport.child.kill('SIGTERM');
  }
}
