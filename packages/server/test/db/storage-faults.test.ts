import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, expectError, expectStatus } from '../helpers/http';

/**
 * The database itself raises each error: a trigger on flag inserts fails with the SQLSTATE that PostgreSQL gives when
 * its disk is full, it runs out of memory or connections, it is starting up, or a connection breaks. (chaos/ fills a
 * real tmpfs tablespace for the disk-full case end to end.)
 */
const RESOURCE_ERRORS = [
  ['53100', 'disk_full', 'could not extend file "base/16384/16385": No space left on device'],
  ['53200', 'out_of_memory', 'out of memory'],
  ['53300', 'too_many_connections', 'sorry, too many clients already'],
  ['57P03', 'cannot_connect_now', 'the database system is starting up'],
  ['08006', 'connection_failure', 'connection to server was lost'],
] as const;

describe.each(testBackends())('storage faults answer 503 with Retry-After (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const failFlagInsertsWith = async (state: string, message: string) => {
    const { db } = t.deps.database;
    await db.execute(
      sql.raw(`create or replace function test_fail_flag_insert() returns trigger language plpgsql as $$
        begin raise exception '${message}' using errcode = '${state}'; end $$`),
    );
    await db.execute(sql`drop trigger if exists test_fail_flag_insert on flags`);
    await db.execute(
      sql`create trigger test_fail_flag_insert before insert on flags for each row execute function test_fail_flag_insert()`,
    );
  };
  const healFlagInserts = () => t.deps.database.db.execute(sql`drop trigger if exists test_fail_flag_insert on flags`);

  it.each(RESOURCE_ERRORS)('SQLSTATE %s (%s) → 503 UNAVAILABLE, nothing written', async (state, _name, message) => {
    const key = `fault-${state.toLowerCase()}`;
    await failFlagInsertsWith(state, message);
    try {
      const response = await answer(apiClient(t).POST('/api/admin/flags', { body: { key } }));
      const body = expectError(response, 503, 'UNAVAILABLE');
      expect(response.headers.get('retry-after')).toBe('5');
      expect(body.message).toMatch(/try again/);
      expect(body.message).not.toContain(message);
    } finally {
      await healFlagInserts();
    }
    expectError(
      await answer(apiClient(t).GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: key } } })),
      404,
      'NOT_FOUND',
    );
    // And once the database can write again, the same request succeeds.
    expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key } })), 201);
  });

  it('disk full says what is short; an ordinary database error stays a 500 without Retry-After', async () => {
    await failFlagInsertsWith('53100', 'No space left on device');
    try {
      const full = await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'fault-disk-message' } }));
      expect(expectError(full, 503, 'UNAVAILABLE').message).toContain('out of resources (disk space');
    } finally {
      await healFlagInserts();
    }
    await failFlagInsertsWith('XX000', 'an internal error');
    try {
      const internal = await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'fault-internal' } }));
      expectError(internal, 500, 'INTERNAL');
      expect(internal.headers.get('retry-after')).toBeNull();
    } finally {
      await healFlagInserts();
    }
  });
});
