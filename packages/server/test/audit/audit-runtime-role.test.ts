import { randomBytes } from 'node:crypto';
import type { AuditVerification } from '@flagline/core';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { type RunningServer, startServer } from '../../src/server';
import { postgresBackends } from '../helpers/database';

const ADMIN_TOKEN = 'runtime-role-admin-token-0123456789';

// Without TEST_DATABASE_URL the suite below has no backend; this keeps the file from being an empty (failing) suite.
describe('runtime role backends', () => {
  it('runs on PostgreSQL exactly when TEST_DATABASE_URL is set', () => {
    expect(postgresBackends()).toEqual(process.env.TEST_DATABASE_URL ? ['postgres'] : []);
  });
});

/**
 * The deployment docs/audit.md recommends: the owner migrates (MIGRATION_DATABASE_URL), the server runs as a role that
 * owns nothing (DATABASE_URL). That role must not be able to switch the audit guard off.
 */
describe.each(postgresBackends())('a runtime role that owns nothing (%s)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `flagline_owner_${suffix}`;
  const runtime = `flagline_app_${suffix}`;
  const database = `flagline_roles_${suffix}`;
  const urlFor = (role: string) => {
    const url = new URL(process.env.TEST_DATABASE_URL ?? '');
    url.username = role;
    url.password = 'role-test-password';
    url.pathname = `/${database}`;
    return url.toString();
  };
  let server: RunningServer;

  const superuser = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await superuser(async (client) => {
      await client.query(`create role ${owner} login password 'role-test-password'`);
      await client.query(`create role ${runtime} login password 'role-test-password'`);
      await client.query(`create database ${database} owner ${owner}`);
    });
    const config = loadConfig({
      DATABASE_URL: urlFor(runtime),
      MIGRATION_DATABASE_URL: urlFor(owner),
      PORT: '0',
      LOG_LEVEL: 'silent',
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    server = await startServer(config, pino({ level: 'silent' }));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await superuser(async (client) => {
      await client.query(`drop database if exists ${database} with (force)`);
      await client.query(`drop role if exists ${runtime}`);
      await client.query(`drop role if exists ${owner}`);
    });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('serves, audits and seals as the runtime role', async () => {
    expect((await api('POST', '/api/admin/flags', { key: 'role-flag' })).status).toBe(201);
    expect((await api('PATCH', '/api/admin/flags/role-flag', { enabled: true })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    let verification: AuditVerification;
    do {
      verification = (await api('GET', '/api/admin/audit/verify')).body as AuditVerification;
    } while (verification.unsealed !== 0 && Date.now() < deadline);
    expect(verification).toMatchObject({ ok: true, unsealed: 0 });
    expect(verification.checked).toBeGreaterThanOrEqual(2);
    const inDatabase = new pg.Client({ connectionString: urlFor(runtime) });
    await inDatabase.connect();
    try {
      const { rows } = await inDatabase.query<{ owner: string; name: string }>(
        `select tableowner as owner, tablename as name from pg_tables where schemaname = 'public' order by tablename`,
      );
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.filter((row) => row.owner !== owner)).toEqual([]);
    } finally {
      await inDatabase.end();
    }
  });

  it('cannot SET session_replication_role, disable the triggers, or update, delete or truncate the trail', async () => {
    const client = new pg.Client({ connectionString: urlFor(runtime) });
    await client.connect();
    try {
      const failure = async (statement: string) => {
        try {
          await client.query(statement);
          return { statement, code: 'none', message: 'it succeeded' };
        } catch (error) {
          const { code, message } = error as { code: string; message: string };
          return { statement, code, message };
        }
      };
      const attempts = [
        'set session_replication_role = replica',
        'alter table audit_events disable trigger audit_events_no_update_delete',
        'alter table audit_events disable trigger all',
        'alter table audit_chain disable trigger audit_chain_no_update_delete',
        'delete from audit_events',
        'update audit_events set actor_id = actor_id',
        'truncate audit_events',
        'delete from audit_chain',
        'update audit_chain set hash = hash',
        'truncate audit_chain',
        'drop table audit_chain',
      ];
      for (const statement of attempts) {
        const result = await failure(statement);
        // 42501 insufficient_privilege: "permission denied …" or "must be owner of table …"
        expect(result, statement).toMatchObject({ code: '42501' });
      }
      // What it may do: read the trail and append to it.
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from audit_chain');
      expect(rows[0]?.n).toBeGreaterThanOrEqual(2);
    } finally {
      await client.end();
    }
  });
});
