import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startFlagline, writeResult } from './lib';

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghij';
const FLAGS = 100;
const CONNECTIONS = 50;
const DURATION_S = 15;
const TARGET = { requestsPerSecond: 15_000, p99Ms: 10 };

async function api(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response;
}

/** GET /api/config/flags?userId=… on the embedded database with 100 flags: the evaluation hot path. */
export async function benchEvaluate(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagline-bench-'));
  const server = await startFlagline({ FLAGLINE_DATA_DIR: dataDir, FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN });
  try {
    for (let i = 0; i < FLAGS; i++) {
      const key = `bench-flag-${String(i).padStart(3, '0')}`;
      await api(server.url, 'POST', '/api/admin/flags', { key, description: `benchmark flag ${i}` });
      await api(server.url, 'PATCH', `/api/admin/flags/${key}`, {
        enabled: i % 10 !== 0,
        rolloutPercentage: (i * 7) % 101,
      });
      if (i % 5 === 0) {
        await api(server.url, 'POST', `/api/admin/flags/${key}/users`, {
          userId: `user-${i}`,
          overrideType: 'include',
        });
      }
    }
    const client = (await (
      await api(server.url, 'POST', '/api/admin/tokens', { name: 'bench', role: 'client', environment: 'production' })
    ).json()) as { secret: string };
    const headers = { authorization: `Bearer ${client.secret}` };
    const check = (await (await fetch(`${server.url}/api/config/flags?userId=user-1`, { headers })).json()) as Record<
      string,
      boolean
    >;
    if (Object.keys(check).length !== FLAGS)
      throw new Error(`expected ${FLAGS} flags, got ${Object.keys(check).length}`);

    let n = 0;
    const run = (duration: number) =>
      autocannon({
        url: server.url,
        connections: CONNECTIONS,
        duration,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: `/api/config/flags?userId=user-${n++ % 10_000}` }),
          },
        ],
      });
    await run(3); // warm-up: JIT and connection set-up
    const result = await run(DURATION_S);
    const summary = {
      scenario: `GET /api/config/flags?userId=… · ${FLAGS} flags · ${CONNECTIONS} connections · ${DURATION_S} s · embedded PGlite`,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      requests: result.requests.total,
      errors: result.errors,
      non2xx: result.non2xx,
      target: TARGET,
      meetsTarget: result.requests.average >= TARGET.requestsPerSecond && result.latency.p99 <= TARGET.p99Ms,
    };
    const path = writeResult('evaluate', summary);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
