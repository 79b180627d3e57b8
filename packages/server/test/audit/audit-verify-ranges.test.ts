import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/verify';
import type { Db } from '../../src/db/client';
import { createFlag, updateFlag } from '../../src/flags/flag-service';
import { sealAudit } from '../helpers/audit';
import { type Backend, createTestDatabase, type TestDatabase, testBackends } from '../helpers/database';

const logger = pino({ level: 'silent' });
const context = { actor: { type: 'system' as const, id: 'ranges', email: null }, requestId: null };
/** Ranges of 4 links: the 25 links below span seven ranges, the last one short. */
const RANGE = 4;
const LINKS = 25;

/**
 * verify reads the chain in ranges side by side and hashes them in worker threads; whatever the range boundaries,
 * it must report exactly what a walk of the chain in one piece finds first. Each tampering runs in a transaction as
 * the database owner with the triggers off (as a superuser could) and is rolled back by hand afterwards.
 */
describe.each(testBackends())('verify in ranges (%s)', (backend: Backend) => {
  let test: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    test = await createTestDatabase(backend);
    db = test.database.db;
    const uow = { db, logger };
    for (let i = 0; i < 5; i++) await createFlag(uow, context, { key: `range-${i}` }, 'production');
    for (let i = 0; i < LINKS - 5; i++) {
      const body = { rolloutPercentage: i + 1 };
      await updateFlag(uow, context, {
        key: `range-${i % 5}`,
        environment: 'production',
        body,
        expectedVersion: undefined,
      });
    }
    await sealAudit(test.database);
  });
  afterAll(() => test.drop());

  /** Runs verify with `tamper` (statements separated by ";") applied, then puts the tables back as they were. */
  async function verifyTampered(tamper: string) {
    // Plain tables, not temporary ones: on PostgreSQL the statements may run on different pooled connections.
    await db.execute(sql`create table saved_chain as select * from audit_chain`);
    await db.execute(sql`create table saved_events as select * from audit_events`);
    const asOwner = async (statements: string) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        for (const statement of statements.split(';')) await tx.execute(sql.raw(statement));
      });
    try {
      await asOwner(tamper);
      return await verifyAuditChain(db, { batchSize: RANGE });
    } finally {
      await asOwner(`delete from audit_chain; insert into audit_chain select * from saved_chain;
        delete from audit_events; insert into audit_events overriding system value select * from saved_events;
        drop table saved_chain; drop table saved_events`);
    }
  }

  it('checks an intact chain whatever the range size', async () => {
    for (const batchSize of [1, RANGE, LINKS, 1_000]) {
      expect(await verifyAuditChain(db, { batchSize })).toMatchObject({ ok: true, checked: LINKS, unsealed: 0 });
    }
  });

  it.each([
    [
      'at the start of a range',
      'delete from audit_chain where position = 9',
      8,
      'chain position 9 is missing (the next sealed position is 10)',
    ],
    [
      'inside a range',
      'delete from audit_chain where position = 10',
      9,
      'chain position 10 is missing (the next sealed position is 11)',
    ],
    [
      'at the end of a range',
      'delete from audit_chain where position = 12',
      11,
      'chain position 12 is missing (the next sealed position is 13)',
    ],
    [
      'longer than a range',
      'delete from audit_chain where position between 6 and 17',
      5,
      'chain position 6 is missing (the next sealed position is 18)',
    ],
    [
      'whole ranges',
      'delete from audit_chain where position between 9 and 16',
      8,
      'chain position 9 is missing (the next sealed position is 17)',
    ],
  ])('names a gap %s', async (_where, tamper, checked, problem) => {
    expect(await verifyTampered(tamper)).toMatchObject({ ok: false, checked, firstBrokenId: null, problem });
  });

  it('ends quietly when the newest links are gone (only a checkpoint can tell)', async () => {
    expect(await verifyTampered('delete from audit_chain where position > 20')).toMatchObject({
      ok: true,
      checked: 20,
    });
  });

  it('names a missing event, an altered one and a broken link at the first range they fall in', async () => {
    const idAt = async (position: number) =>
      String(
        (
          (await db.execute(sql`select event_id from audit_chain where position = ${position}`)) as unknown as {
            rows: { event_id: string }[];
          }
        ).rows[0]?.event_id,
      );
    const [at13, at14, at21] = [await idAt(13), await idAt(14), await idAt(21)];
    expect(
      await verifyTampered(
        `delete from audit_events where id = ${at14}; update audit_events set data = '{}' where id = ${at21}`,
      ),
    ).toMatchObject({
      ok: false,
      checked: 13,
      firstBrokenId: at14,
      problem: `event ${at14}, sealed at position 14, is missing`,
    });
    expect(await verifyTampered(`update audit_events set data = '{"x": 1}' where id = ${at13}`)).toMatchObject({
      ok: false,
      checked: 12,
      firstBrokenId: at13,
      problem: `event ${at13} at position 13 was altered (its hash does not match)`,
    });
    expect(await verifyTampered(`update audit_chain set prev_hash = 'x' where position = 17`)).toMatchObject({
      ok: false,
      checked: 16,
      problem: 'position 17 does not link to position 16',
    });
  });
});
