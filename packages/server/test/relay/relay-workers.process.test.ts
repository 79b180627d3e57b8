import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllFlaglines, runFlagline, type StartedServer } from '../helpers/processes';
import {
  adminCall,
  changes,
  contextAt,
  type Endpoint,
  EventReader,
  startSeededRelay,
  waitUntil,
} from '../helpers/relay-fixtures';

const ADMIN_TOKEN = 'relay-workers-admin-token-0123456789abcdef';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pids of `pid`'s child processes (the relay's workers). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** A gauge's value in Prometheus text, or undefined when it is absent. */
function gauge(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function metricsOf(url: string): Promise<string> {
  const response = await getOnNewConnection(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('flagline relay --workers (processes: a server on its embedded database, a relay of two workers)', () => {
  let dataDir: string;
  let server: StartedServer;
  let relay: Endpoint;
  let serverToken: { id: string; secret: string };

  beforeAll(async () => {
    ({ dataDir, server, serverToken, relay } = await startSeededRelay({
      adminToken: ADMIN_TOKEN,
      name: 'relay-workers',
      relayArgs: ['--workers', '2'],
      // Info lines too, to see which process wrote each.
      relayEnv: { LOG_LEVEL: 'info' },
    }));
  }, 240_000);

  afterAll(async () => {
    await killAllFlaglines();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs two workers, each with its own upstream stream, and /metrics adds up every worker', async () => {
    await waitUntil(async () => childPids(relay.flagline.pid).length === 2, 'two workers');
    await waitUntil(
      async () => gauge(await metricsOf(server.url), 'flagline_sse_connections') === 2,
      'the upstream sees one stream per worker',
    );
    const metrics = await metricsOf(relay.url);
    expect(gauge(metrics, 'flagline_relay_upstream_connected')).toBe(1);
    expect(gauge(metrics, 'flagline_relay_snapshot_age_seconds')).toBe(0);
    // Added up over both workers, each of which has spent CPU starting.
    expect(gauge(metrics, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('answers as the upstream does, and streams a change made upstream', async () => {
    const auth = { authorization: `Bearer ${serverToken.secret}`, 'content-type': 'application/json' };
    for (let n = 0; n < 200; n++) {
      const body = JSON.stringify({ context: contextAt(n) });
      const ofrep = async (url: string) =>
        (await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: auth, body })).text();
      expect(await ofrep(relay.url)).toBe(await ofrep(server.url));
    }
    const stream = new EventReader(`${relay.url}/api/client/stream`, serverToken.secret);
    await stream.open();
    try {
      await stream.waitFor((event) => event.event === 'snapshot');
      await adminCall(server.url, ADMIN_TOKEN, 'PATCH', '/api/admin/flags/relay-off?environment=production', {
        enabled: true,
      });
      await stream.waitFor(changes('relay-off'));
    } finally {
      stream.close();
    }
  });

  it('replaces a worker that dies, serving from the other meanwhile', async () => {
    // Both workers listen (each connects upstream first) before one is killed.
    await waitUntil(
      async () => gauge(await metricsOf(server.url), 'flagline_sse_connections') === 2,
      'both workers connected',
    );
    const before = childPids(relay.flagline.pid);
    expect(before).toHaveLength(2);
    const [victim] = before as [number];
    process.kill(victim, 'SIGKILL');
    // Connections the victim had accepted die with it (reset, as with a single relay that dies); from then on the
    // survivor accepts every new one.
    await waitUntil(async () => !isAlive(victim), 'the killed worker gone');
    // The surviving worker answers every new connection while the replacement starts.
    for (let i = 0; i < 20; i++) {
      expect((await getOnNewConnection(`${relay.url}/readyz`)).status).toBe(200);
      await sleep(25);
    }
    await waitUntil(async () => {
      const now = childPids(relay.flagline.pid);
      return now.length === 2 && !now.includes(victim);
    }, 'a replacement worker');
    // The replacement (worker 3: cluster numbers every worker it starts) listens once it has its snapshot.
    await waitUntil(
      async () => /"worker":3,[^\n]*"msg":"Flagline relay listening/.test(relay.flagline.stdout()),
      'the replacement listening',
    );
    await waitUntil(
      async () => gauge(await metricsOf(relay.url), 'flagline_relay_upstream_connected') === 1,
      'every worker connected upstream again',
    );
    expect(relay.flagline.hasExited()).toBe(false);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = childPids(relay.flagline.pid);
    expect(workers).toHaveLength(2);
    const exit = await relay.flagline.stop('SIGTERM', 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    // One log for every process: each worker's lines name it.
    const shutdowns = relay.flagline
      .stdout()
      .split('\n')
      .filter((line) => line.includes('relay shutting down'))
      .map((line) => (JSON.parse(line) as { worker?: number }).worker);
    expect(shutdowns).toContain(undefined);
    expect(shutdowns.filter((id) => id !== undefined)).toHaveLength(2);
    expect(workers.filter((pid) => childPids(1).includes(pid) || isAlive(pid))).toEqual([]);
  });

  it("stops with the upstream's reason, once, and exit 1 when the token is refused; --workers 0 is a usage error", async () => {
    const refused = await runFlagline(
      ['relay', '--upstream', server.url, '--token', 'fl_not_a_token', '--port', '0', '--workers', '2'],
      {},
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('--token: the upstream').length - 1).toBe(1);
    const usage = await runFlagline(['relay', '--upstream', server.url, '--token', 'x', '--workers', '0'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--workers');
  });
});

/**
 * GET on a connection of its own (no keep-alive): each request reaches whichever worker accepts it, and none rides a
 * kept-alive connection of a worker the test killed.
 */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer within 10 s`)));
    request.on('error', reject);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
