import type { AuditVerification, CreatedToken } from '@flagline/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresBackends } from '../helpers/database';
import { killAllFlaglines, type StartedServer, startServe } from '../helpers/processes';

const ADMIN_TOKEN = 'concurrency-admin-token-0123456789';
const CLIENTS = 10;
const CHANGES_PER_CLIENT = 100;
const FLAGS_PER_CLIENT = 10;

interface Row {
  id: string;
  position: string;
  request_id: string | null;
  actor_id: string;
  prev_hash: string | null;
  hash: string;
  occurred_at: Date;
}

// Without TEST_DATABASE_URL the suite below has no backend; this keeps the file from being an empty (failing) suite.
describe('audit concurrency backends', () => {
  it('runs on PostgreSQL exactly when TEST_DATABASE_URL is set', () => {
    expect(postgresBackends()).toEqual(process.env.TEST_DATABASE_URL ? ['postgres'] : []);
  });
});

describe.each(postgresBackends())('the hash chain under concurrent changes (%s)', () => {
  let database: { url: string; drop(): Promise<void> };
  let servers: StartedServer[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const env = {
      DATABASE_URL: database.url,
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      SCHEDULER_ENABLED: 'false',
      OVERRIDE_RATE_LIMIT_PER_HOUR: '1000000',
    };
    // Two real `flagline serve` processes on one database: the chain's order must hold across processes.
    servers = await Promise.all([startServe(env), startServe(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.flagline.stop()));
    await killAllFlaglines();
    await database?.drop();
  });

  const call = async (
    base: string,
    token: string,
    method: string,
    path: string,
    body?: unknown,
    requestId?: string,
  ) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} (${requestId}) → ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };

  it('1,000 changes from 10 concurrent clients leave one verifiable chain, with positions contiguous', async () => {
    const [first, second] = servers;
    if (!first || !second) throw new Error('servers did not start');
    await call(first.url, ADMIN_TOKEN, 'POST', '/api/admin/flags', { key: 'shared' });
    const tokens: CreatedToken[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      tokens.push(
        (await call(first.url, ADMIN_TOKEN, 'POST', '/api/admin/tokens', {
          name: `client ${c}`,
          role: 'admin',
        })) as CreatedToken,
      );
    }

    /** One client: 100 changes one after another, each of which really changes something (so writes one event). */
    const client = async (c: number) => {
      const token = tokens[c]?.secret ?? '';
      const base = (c % 2 === 0 ? first : second).url;
      const rollout = new Map<string, number>();
      const enabled = new Map<string, boolean>();
      for (let r = 0; r < CHANGES_PER_CLIENT; r++) {
        const requestId = `c${c}-r${r}`;
        const flag = `c${c}-f${r % FLAGS_PER_CLIENT}`;
        const environment = r % 4 < 2 ? 'production' : 'development';
        const state = `${flag}/${environment}`;
        if (r < FLAGS_PER_CLIENT) {
          await call(base, token, 'POST', '/api/admin/flags', { key: flag }, requestId);
        } else if (r % 3 === 0) {
          const next = ((rollout.get(state) ?? 0) + 7) % 101;
          rollout.set(state, next);
          await call(
            base,
            token,
            'PATCH',
            `/api/admin/flags/${flag}?environment=${environment}`,
            { rolloutPercentage: next },
            requestId,
          );
        } else if (r % 3 === 1) {
          // Every client on one flag: contention on the same rows, not only on the chain.
          await call(
            base,
            token,
            'POST',
            `/api/admin/flags/shared/users?environment=${environment}`,
            {
              userId: `c${c}-u${r}`,
              overrideType: r % 2 === 0 ? 'include' : 'exclude',
            },
            requestId,
          );
        } else {
          const next = !(enabled.get(state) ?? false);
          enabled.set(state, next);
          await call(
            base,
            token,
            'PATCH',
            `/api/admin/flags/${flag}?environment=${environment}`,
            { enabled: next },
            requestId,
          );
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const elapsed = performance.now() - started;

    const total = 1 + CLIENTS + CLIENTS * CHANGES_PER_CLIENT;
    // The servers' sealers chain every committed event within moments; both processes then verify the whole chain.
    const deadline = Date.now() + 30_000;
    let verification: AuditVerification;
    do {
      verification = (await call(first.url, ADMIN_TOKEN, 'GET', '/api/admin/audit/verify')) as AuditVerification;
      if (verification.unsealed !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
    } while (verification.unsealed !== 0 && Date.now() < deadline);
    for (const server of servers) {
      verification = (await call(server.url, ADMIN_TOKEN, 'GET', '/api/admin/audit/verify')) as AuditVerification;
      expect(verification).toEqual({
        ok: true,
        checked: total,
        firstBrokenId: null,
        unsealed: 0,
        problem: null,
        checkpoints: 0,
      });
    }

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    let rows: Row[];
    try {
      rows = (
        await admin.query<Row>(
          `select e.id::text, c.position::text, e.request_id, e.actor_id, c.prev_hash, c.hash, e.occurred_at
           from audit_chain c join audit_events e on e.id = c.event_id order by c.position`,
        )
      ).rows;
    } finally {
      await admin.end();
    }
    expect(rows).toHaveLength(total);

    // One chain, no fork: positions 1..n without a gap, each event once, each linked to the one before it.
    expect(rows.map((row) => Number(row.position))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(rows.map((row) => Number(row.id)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(rows[0]?.prev_hash).toBeNull();
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]?.prev_hash !== rows[i - 1]?.hash)
        throw new Error(`event ${rows[i]?.id} does not link to ${rows[i - 1]?.id}`);
    }
    expect(new Set(rows.map((row) => row.hash)).size).toBe(total);
    // Chain order is real order: each client's changes, made one after another, appear in the order it made them, once each.
    for (let c = 0; c < CLIENTS; c++) {
      const mine = rows.filter((row) => row.request_id?.startsWith(`c${c}-r`));
      expect(mine.map((row) => row.request_id)).toEqual(
        Array.from({ length: CHANGES_PER_CLIENT }, (_, r) => `c${c}-r${r}`),
      );
      expect(new Set(mine.map((row) => row.actor_id))).toEqual(new Set([tokens[c]?.id]));
    }
    // The two processes interleaved on the chain.
    const switches = rows.filter(
      (row, i) =>
        i > 0 &&
        row.request_id &&
        rows[i - 1]?.request_id &&
        Number(row.request_id.slice(1, row.request_id.indexOf('-'))) % 2 !==
          Number(rows[i - 1]?.request_id?.slice(1, rows[i - 1]?.request_id?.indexOf('-'))) % 2,
    ).length;
    expect(switches).toBeGreaterThan(50);
    process.stdout.write(
      `audit-concurrency: ${CLIENTS * CHANGES_PER_CLIENT} changes from ${CLIENTS} clients over 2 processes in ${Math.round(elapsed)} ms; ${switches} process switches along the chain\n`,
    );
  }, 240_000);
});
