import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { count, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countUnsealed } from '../../src/audit/sealer';
import { webhookDeliveries } from '../../src/db/schema';
import { createEvaluateFastPath } from '../../src/delivery/evaluate-fast-path';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectStatus, tokenIdOf } from '../helpers/http';

/** What a user of the API could be identified by: none of it may reach a log line. */
const PRIVATE_USER = 'alice-private@example.com';
/** The flag the tests create and change, for the typed client. */
const observed = { params: { path: { flagKey: 'observed' } } };

function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

describe.each(testBackends())('observability (%s)', (backend) => {
  let t: TestApp;
  const lines: Record<string, unknown>[] = [];
  let rawLog = '';
  beforeAll(async () => {
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          rawLog += line;
          lines.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    );
    t = await createTestApp(backend, {}, { logger });
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const metrics = async () => {
    const response = await t.app.request('/metrics');
    expect(response.status).toBe(200);
    return response.text();
  };

  it('exports the default process and Node.js metrics without a prefix', async () => {
    const text = await metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(metricValue(text, name), name).toBeGreaterThanOrEqual(0);
    }
    expect(text).not.toMatch(/^flagline_(process|nodejs)_/m);
    expect(metricValue(text, 'flagline_database_up')).toBe(1);
  });

  it('counts pending and due schedules and undelivered webhook deliveries', async () => {
    const before = await metrics();
    expect(metricValue(before, 'flagline_schedules_pending')).toBe(0);
    expect(metricValue(before, 'flagline_schedules_due')).toBe(0);
    expect(metricValue(before, 'flagline_webhook_deliveries_pending')).toBe(0);

    const api = apiClient(t);
    expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'observed' } })), 201);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    for (const rolloutPercentage of [10, 20]) {
      const body = { scheduledAt: tomorrow, updates: { rolloutPercentage } };
      expectStatus(await answer(api.POST('/api/admin/flags/{flagKey}/schedule', { ...observed, body })), 201);
    }
    // One of them falls due (no scheduler runs in this app, so it stays pending).
    await t.deps.database.db.execute(
      sql`update flag_schedules set scheduled_at = now() - interval '1 minute'
          where id = (select id from flag_schedules order by created_at limit 1)`,
    );
    expectStatus(
      await answer(api.POST('/api/admin/webhooks', { body: { url: 'https://siem.example.com/flagline' } })),
      201,
    );
    expectStatus(
      await answer(api.PATCH('/api/admin/flags/{flagKey}', { ...observed, body: { description: 'watched' } })),
      200,
    );
    // The backlog is read at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await metrics();
    expect(metricValue(after, 'flagline_schedules_pending')).toBe(2);
    expect(metricValue(after, 'flagline_schedules_due')).toBe(1);
    // Nothing seals in this in-process app: every event waits, and the gauge says so.
    const unsealed = await countUnsealed(t.deps.database.db);
    expect(unsealed).toBeGreaterThanOrEqual(5);
    expect(metricValue(after, 'flagline_audit_events_unsealed')).toBe(unsealed);
    await sealAudit(t);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const sealed = await metrics();
    expect(metricValue(sealed, 'flagline_audit_events_unsealed')).toBe(0);
    // Each event after the webhook's creation waits for it (how many the webhook's own creation adds is its business).
    const [queued] = await t.deps.database.db
      .select({ n: count() })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.status, 'pending'));
    expect(queued?.n).toBeGreaterThanOrEqual(1);
    expect(metricValue(sealed, 'flagline_webhook_deliveries_pending')).toBe(queued?.n);
  });

  it('reports the database and snapshot state in /readyz?verbose, and the plain answer stays as it was', async () => {
    expect(expectStatus(await t.request('GET', '/readyz', { token: null }), 200)).toEqual({
      status: 'ready',
      database: backend,
      configVersion: expect.any(Number),
    });
    const verbose = await t.request('GET', '/readyz?verbose', { token: null });
    expect(expectStatus(verbose, 200)).toMatchObject({
      status: 'ready',
      checks: {
        database: { kind: backend, status: 'up', latencyMs: expect.any(Number) },
        snapshot: { status: 'loaded', version: expect.any(Number), ageSeconds: expect.any(Number) },
      },
    });
  });

  it('logs one access line per request at info: method, route template, status, duration, request id — no query, no token', async () => {
    lines.length = 0;
    const evaluated = await answer(
      apiClient(t, t.tokens.client).GET('/api/config/flags', { params: { query: { userId: PRIVATE_USER } } }),
    );
    const read = await answer(
      apiClient(t, t.tokens.admin).GET('/api/admin/flags/{flagKey}', {
        params: { path: { flagKey: 'observed' }, query: { environment: 'development' } },
      }),
    );
    const refused = await answer(apiClient(t, 'fl_wrong_token_0123456789abcdef').GET('/api/admin/flags'));
    const access = lines.filter((line) => line.msg === 'request');
    expect(access).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: expect.any(Number),
        hostname: expect.any(String),
        msg: 'request',
        method: 'GET',
        route: '/api/config/flags',
        status: 200,
        durationMs: expect.any(Number),
        requestId: evaluated.headers.get('x-request-id'),
      },
      expect.objectContaining({
        route: '/api/admin/flags/:flagKey',
        status: 200,
        requestId: read.headers.get('x-request-id'),
      }),
      expect.objectContaining({ status: 401, requestId: refused.headers.get('x-request-id') }),
    ]);
    for (const secret of [t.tokens.client, t.tokens.admin, 'fl_wrong_token', PRIVATE_USER, 'userId=', 'environment=']) {
      expect(rawLog, secret).not.toContain(secret);
    }
  });

  it('logs the evaluation fast path the same way', async () => {
    const honoListener = getRequestListener(t.app.fetch);
    const general = (request: IncomingMessage, response: ServerResponse) => void honoListener(request, response);
    const fastPath = createEvaluateFastPath(t.deps.authenticator, t.deps.snapshot, t.deps.logger, general);
    const server: Server = createServer((request, response) => {
      if (!fastPath(request, response)) general(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      lines.length = 0;
      // The first use of a token goes through the route; the second is answered by the fast path.
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${url}/api/config/flags?userId=${encodeURIComponent(PRIVATE_USER)}`, {
          headers: { authorization: `Bearer ${t.tokens.developmentClient}`, 'x-request-id': `fast-${i}` },
        });
        expect(response.status).toBe(200);
      }
      expect(lines.filter((line) => line.msg === 'request')).toEqual([
        expect.objectContaining({ method: 'GET', route: '/api/config/flags', status: 200, requestId: 'fast-0' }),
        expect.objectContaining({ method: 'GET', route: '/api/config/flags', status: 200, requestId: 'fast-1' }),
      ]);
      expect(rawLog).not.toContain(PRIVATE_USER);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('logs audit events at info without user data: no actor id or email, no user ids, no before/after', async () => {
    lines.length = 0;
    const api = apiClient(t);
    expectStatus(
      await answer(
        api.POST('/api/admin/flags/{flagKey}/users', {
          ...observed,
          body: { userId: PRIVATE_USER, overrideType: 'include', reason: 'beta' },
        }),
      ),
      201,
    );
    expectStatus(await answer(api.PATCH('/api/admin/flags/{flagKey}', { ...observed, body: { enabled: true } })), 200);
    const audit = lines.filter((line) => 'audit' in line);
    expect(audit.map((line) => [line.level, line.msg])).toEqual([
      [30, 'audit flag_override.set'],
      [30, 'audit flag.updated'],
    ]);
    for (const line of audit) {
      expect(Object.keys(line.audit as object).sort()).toEqual(
        ['actorType', 'environment', 'flagKey', 'id', 'occurredAt', 'requestId', 'scheduleId', 'type'].sort(),
      );
      expect(line.audit).toMatchObject({ actorType: 'token', flagKey: 'observed', environment: 'production' });
    }
    expect(rawLog).not.toContain(PRIVATE_USER);
    expect(rawLog).not.toContain(await tokenIdOf(t, t.tokens.admin));
  });
});
