import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { asc, count, countDistinct, inArray, max, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadPublicKey,
  loadSigningKey,
  publishCheckpoint,
  readCheckpoints,
  signCheckpoint,
  writeCheckpoint,
} from '../../src/audit/checkpoint';
import { exportChunks } from '../../src/audit/export';
import { chainHash } from '../../src/audit/hash';
import { AuditSealer, countUnsealed, readChainHead } from '../../src/audit/sealer';
import { verifyAuditChain } from '../../src/audit/verify';
import { toAuditEvent } from '../../src/audit/view';
import { type Db, openDatabase } from '../../src/db/client';
import { runMigrations } from '../../src/db/migrate';
import { auditChain, auditEvents } from '../../src/db/schema';
import { createFlag, updateFlag } from '../../src/flags/flag-service';
import { sealAudit } from '../helpers/audit';
import {
  type Backend,
  createPostgresDatabase,
  createTestDatabase,
  postgresBackends,
  testBackends,
} from '../helpers/database';
import { killAllFlaglines, runFlagline, spawnFlagline } from '../helpers/processes';

const VERIFIER_BIN = fileURLToPath(new URL('../../bin/flagline-verify-audit.js', import.meta.url));
const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const actor = (id: string) => ({ actor: { type: 'system' as const, id, email: null }, requestId: null });

/** An Ed25519 key pair as PEM files (PKCS#8 private, SPKI public), as an operator would make with openssl. */
function keyFiles(dir: string): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const files = { privateKey: join(dir, 'audit-signing.pem'), publicKey: join(dir, 'audit-public.pem') };
  writeFileSync(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}

/** Ten changes: 4 flag creations and 6 updates, each its own transaction and event. */
async function writeChanges(db: Db, prefix: string): Promise<void> {
  const uow = { db, logger };
  for (let i = 0; i < 4; i++) await createFlag(uow, actor('writer'), { key: `${prefix}-${i}` }, 'production');
  for (let i = 0; i < 6; i++) {
    const key = `${prefix}-${i % 4}`;
    const body = { rolloutPercentage: 10 + i };
    await updateFlag(uow, actor('writer'), { key, environment: 'production', body, expectedVersion: undefined });
  }
}

/**
 * What a database superuser can do: switch the triggers off for the session and rewrite both tables, re-chaining the
 * given event order with the project's own published hash function.
 */
async function asSuperuser(db: Db, work: (tx: Db) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await work(tx as unknown as Db);
  });
}

async function rechain(tx: Db, order: bigint[]): Promise<void> {
  const rows = await tx.select().from(auditEvents).where(inArray(auditEvents.id, order));
  const byId = new Map(rows.map((row) => [row.id, row]));
  await tx.execute(sql`delete from audit_chain`);
  let prevHash: string | null = null;
  const links = order.map((id, i) => {
    const row = byId.get(id);
    if (!row) throw new Error(`no event ${id}`);
    const hash = chainHash(i + 1, prevHash, toAuditEvent(row));
    const link = { position: BigInt(i + 1), eventId: id, prevHash, hash };
    prevHash = hash;
    return link;
  });
  if (links.length > 0) await tx.insert(auditChain).values(links);
}

async function sealedOrder(db: Db): Promise<bigint[]> {
  const rows = await db.select({ id: auditChain.eventId }).from(auditChain).orderBy(asc(auditChain.position));
  return rows.map((row) => row.id);
}

async function exportTo(db: Db, file: string): Promise<void> {
  let text = '';
  for await (const chunk of exportChunks(db, {}, 'ndjson')) text += chunk.text;
  writeFileSync(file, text);
}

async function standaloneVerify(exportFile: string, checkpointDir: string, publicKey: string) {
  try {
    const { stdout } = await run(process.execPath, [
      VERIFIER_BIN,
      '--export',
      exportFile,
      '--checkpoints',
      checkpointDir,
      '--public-key',
      publicKey,
    ]);
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe.each(testBackends())('the sealed audit chain and its signed checkpoints (%s)', (backend: Backend) => {
  let dir: string;
  let keys: { privateKey: string; publicKey: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flagline-audit-'));
    keys = keyFiles(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh database with ten sealed changes and a signed checkpoint of that head in its own directory. */
  async function sealedWithCheckpoint(name: string) {
    const test = await createTestDatabase(backend);
    const db = test.database.db;
    await writeChanges(db, name);
    expect(await countUnsealed(db)).toBe(10);
    // (sealAudit, not one sealAll: a transaction of a parallel test file anywhere on the server holds the horizon)
    expect(await sealAudit(test.database)).toBe(10);
    const checkpointDir = join(dir, name);
    await writeCheckpoint(
      checkpointDir,
      signCheckpoint(await readChainHead(db), await loadSigningKey(keys.privateKey)),
    );
    const checkpoints = await readCheckpoints(checkpointDir, await loadPublicKey(keys.publicKey));
    return { test, db, checkpointDir, checkpoints, order: await sealedOrder(db) };
  }

  const tamperings: { kind: string; problem: RegExp; tamper(db: Db, order: bigint[]): Promise<void> }[] = [
    {
      kind: 'deleting the newest events',
      problem: /chain ends at position 7 but the signed checkpoint .* covers 10: sealed events were deleted/,
      tamper: (db, order) =>
        asSuperuser(db, async (tx) => {
          await tx.execute(sql`delete from audit_chain where position > 7`);
          await tx.delete(auditEvents).where(inArray(auditEvents.id, order.slice(7)));
        }),
    },
    {
      kind: 'deleting one in the middle and re-chaining the rest',
      problem: /chain ends at position 9 but the signed checkpoint .* covers 10/,
      tamper: (db, order) =>
        asSuperuser(db, async (tx) => {
          const [victim] = order.splice(4, 1);
          await tx.delete(auditEvents).where(inArray(auditEvents.id, victim === undefined ? [] : [victim]));
          await rechain(tx, order);
        }),
    },
    {
      kind: 'editing one and re-chaining',
      problem: /position 10 differs from the signed checkpoint .*: the history up to it was rewritten/,
      tamper: (db, order) =>
        asSuperuser(db, async (tx) => {
          await tx.execute(sql`update audit_events set actor_id = 'someone-else' where id = ${order[3]}`);
          await rechain(tx, order);
        }),
    },
    {
      kind: 'reordering two and re-chaining',
      problem: /position 10 differs from the signed checkpoint/,
      tamper: (db, order) =>
        asSuperuser(db, async (tx) => {
          const [a, b] = [order[2], order[5]];
          if (a === undefined || b === undefined) throw new Error('too few events');
          [order[2], order[5]] = [b, a];
          await rechain(tx, order);
        }),
    },
    {
      kind: 're-chaining the whole history around a forged event',
      problem: /position 10 differs from the signed checkpoint/,
      tamper: (db, order) =>
        asSuperuser(db, async (tx) => {
          const [forged] = await tx
            .insert(auditEvents)
            .values({
              type: 'flag.deleted',
              actorType: 'user',
              actorId: 'scapegoat',
              flagKey: 'forged',
              data: { flagKey: 'forged', cancelledScheduleIds: [] },
            })
            .returning({ id: auditEvents.id });
          if (!forged) throw new Error('no forged row');
          order.splice(1, 0, forged.id);
          await rechain(tx, order);
        }),
    },
  ];

  for (const [index, { kind, problem, tamper }] of tamperings.entries()) {
    it(`detects ${kind} against a checkpoint, even done as a superuser; the standalone verifier agrees`, async () => {
      const { test, db, checkpointDir, checkpoints, order } = await sealedWithCheckpoint(`kind-${index}`);
      try {
        const intact = await verifyAuditChain(db, { checkpoints });
        expect(intact).toEqual({
          ok: true,
          checked: 10,
          firstBrokenId: null,
          unsealed: 0,
          problem: null,
          checkpoints: 1,
        });
        const exportFile = join(checkpointDir, '..', `kind-${index}-intact.ndjson`);
        await exportTo(db, exportFile);
        expect(await standaloneVerify(exportFile, checkpointDir, keys.publicKey)).toMatchObject({ code: 0 });

        await tamper(db, [...order]);

        // The chain alone cannot tell: the tables are consistent again (the superuser used the published hash).
        const alone = await verifyAuditChain(db);
        expect(alone.ok).toBe(true);
        // The checkpoint, kept outside the database, can.
        const checked = await verifyAuditChain(db, { checkpoints });
        expect(checked).toMatchObject({ ok: false, problem: expect.stringMatching(problem) });
        const tamperedFile = join(checkpointDir, '..', `kind-${index}-tampered.ndjson`);
        await exportTo(db, tamperedFile);
        const standalone = await standaloneVerify(tamperedFile, checkpointDir, keys.publicKey);
        expect(standalone.code).toBe(1);
        expect(standalone.stderr).toMatch(/checkpoint/);
      } finally {
        await test.drop();
      }
    }, 60_000);
  }

  it('the standalone verifier names an export line edited after the fact, and a forged checkpoint', async () => {
    const { test, db, checkpointDir } = await sealedWithCheckpoint('file');
    try {
      const exportFile = join(dir, 'file.ndjson');
      await exportTo(db, exportFile);
      const lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n');
      const third = JSON.parse(lines[2] ?? '{}') as { id: string; actor: { id: string } };
      third.actor.id = 'someone-else';
      lines[2] = JSON.stringify(third);
      writeFileSync(exportFile, `${lines.join('\n')}\n`);
      const edited = await standaloneVerify(exportFile, checkpointDir, keys.publicKey);
      expect(edited).toMatchObject({ code: 1 });
      expect(edited.stderr).toContain(`event ${third.id} at position 3 was altered`);

      const [name] = readdirSync(checkpointDir);
      const forged = JSON.parse(readFileSync(join(checkpointDir, name ?? ''), 'utf8')) as { position: number };
      forged.position = 3;
      writeFileSync(join(checkpointDir, 'forged.json'), JSON.stringify(forged));
      const other = await standaloneVerify(exportFile, checkpointDir, keys.publicKey);
      expect(other.stderr).toMatch(/forged\.json has an invalid signature/);
      await expect(readCheckpoints(checkpointDir, await loadPublicKey(keys.publicKey))).rejects.toThrow(
        /forged\.json has an invalid signature/,
      );
    } finally {
      await test.drop();
    }
  }, 60_000);

  it('publishes a checkpoint to the directory, the log stream and webhooks (as an audit.checkpoint event)', async () => {
    const test = await createTestDatabase(backend);
    const db = test.database.db;
    try {
      await writeChanges(db, 'pub');
      await sealAudit(test.database);
      const head = await readChainHead(db);
      const lines: string[] = [];
      const captured = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
      const checkpointDir = join(dir, 'published');
      const key = await loadSigningKey(keys.privateKey);
      const { checkpoint, file } = await publishCheckpoint({ db, logger: captured, dir: checkpointDir }, key, head);
      expect(checkpoint).toMatchObject({ format: 'flagline-audit-checkpoint/1', position: 10, hash: head.hash });
      expect(file && JSON.parse(readFileSync(file, 'utf8'))).toEqual(checkpoint);
      expect(lines.some((line) => JSON.parse(line).auditCheckpoint?.signature === checkpoint.signature)).toBe(true);
      await sealAudit(test.database);
      const [event] = await db.select().from(auditEvents).where(sql`${auditEvents.type} = 'audit.checkpoint'`);
      expect(event?.data).toEqual(checkpoint);
      // The checkpoint's own event joins the chain after the head it signs; the chain still verifies against it.
      const verification = await verifyAuditChain(db, {
        checkpoints: await readCheckpoints(checkpointDir, await loadPublicKey(keys.publicKey)),
      });
      expect(verification).toMatchObject({ ok: true, checked: 11, checkpoints: 1 });
    } finally {
      await test.drop();
    }
  }, 60_000);
});

describe.each(postgresBackends())('sealing under concurrency and crashes (%s)', () => {
  it('10 concurrent writers and two competing sealers leave one gapless chain holding every event once', async () => {
    const test = await createTestDatabase('postgres');
    const { database } = test;
    const sealers = [new AuditSealer(database, logger), new AuditSealer(database, logger)];
    try {
      await Promise.all(sealers.map((sealer) => sealer.start()));
      const uow = { db: database.db, logger };
      await Promise.all(
        Array.from({ length: 10 }, async (_, writer) => {
          await createFlag(uow, actor(`w${writer}`), { key: `c-${writer}` }, 'production');
          for (let i = 0; i < 30; i++) {
            const body = { rolloutPercentage: i + 1 };
            const change = { key: `c-${writer}`, environment: 'production', body, expectedVersion: undefined };
            await updateFlag(uow, actor(`w${writer}`), change);
          }
        }),
      );
      const deadline = Date.now() + 20_000;
      while ((await countUnsealed(database.db)) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const [events] = await database.db.select({ n: count() }).from(auditEvents);
      const [chain] = await database.db
        .select({ n: count(), distinct: countDistinct(auditChain.eventId), last: max(auditChain.position) })
        .from(auditChain);
      expect(events?.n).toBe(310);
      expect(chain).toEqual({ n: 310, distinct: 310, last: 310n });
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: 310, unsealed: 0 });
    } finally {
      await Promise.all(sealers.map((sealer) => sealer.stop()));
      await test.drop();
    }
  }, 120_000);

  it('a worker SIGKILLed while sealing a backlog leaves whole batches only; the next one resumes without gaps or doubles', async () => {
    const created = await createPostgresDatabase();
    const database = await openDatabase({ databaseUrl: created.url, poolSize: 2 });
    const EVENTS = 20_000;
    try {
      await runMigrations(database, created.url);
      await database.db.execute(sql`
        insert into audit_events (type, actor_type, actor_id, flag_key, data)
        select 'flag.updated', 'system', 'backlog', 'f-' || (n % 100), jsonb_build_object('flagKey', 'f-' || (n % 100), 'changedFields', jsonb_build_array('enabled'))
        from generate_series(1, ${EVENTS}) as n`);
      await database.db.execute(sql`analyze audit_events`);
      const env = { DATABASE_URL: created.url, SCHEDULER_POLL_MS: '60000' };
      const first = spawnFlagline(['worker'], env);
      const sealed = async () => {
        const [row] = await database.db.select({ n: count(), last: max(auditChain.position) }).from(auditChain);
        return { n: row?.n ?? 0, last: Number(row?.last ?? 0) };
      };
      let before = await sealed();
      const deadline = Date.now() + 60_000;
      while (before.n === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
        before = await sealed();
      }
      await first.stop('SIGKILL');
      const atKill = await sealed();
      expect(atKill.n, 'the kill must land mid-backlog').toBeGreaterThan(0);
      expect(atKill.n).toBeLessThan(EVENTS);
      // Whole sealing steps only (500 events each), and no gap below the head.
      expect(atKill.n % 500).toBe(0);
      expect(atKill.last).toBe(atKill.n);

      const second = spawnFlagline(['worker'], env);
      try {
        const until = Date.now() + 90_000;
        while ((await countUnsealed(database.db)) > 0 && Date.now() < until)
          await new Promise((r) => setTimeout(r, 50));
      } finally {
        await second.stop('SIGTERM');
      }
      const [chain] = await database.db
        .select({ n: count(), distinct: countDistinct(auditChain.eventId), last: max(auditChain.position) })
        .from(auditChain);
      // Every event, the backlog and whatever the workers recorded themselves, exactly once.
      const [all] = await database.db.select({ n: count() }).from(auditEvents);
      const total = all?.n ?? 0;
      expect(total).toBeGreaterThanOrEqual(EVENTS);
      expect(chain).toEqual({ n: total, distinct: total, last: BigInt(total) });
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, checked: total, unsealed: 0 });

      // The CLI: a checkpoint, then a superuser deleting the newest events: `audit verify` exits 1 naming it.
      const dir = mkdtempSync(join(tmpdir(), 'flagline-audit-cli-'));
      try {
        const keys = keyFiles(dir);
        const cliEnv = {
          DATABASE_URL: created.url,
          FLAGLINE_AUDIT_SIGNING_KEY_FILE: keys.privateKey,
          FLAGLINE_AUDIT_CHECKPOINT_DIR: join(dir, 'checkpoints'),
        };
        const checkpoint = await runFlagline(['audit', 'checkpoint'], cliEnv);
        expect(checkpoint.code, checkpoint.stderr).toBe(0);
        expect(JSON.parse(checkpoint.stdout)).toMatchObject({ checkpoint: { position: total } });
        const args = ['audit', 'verify', '--checkpoints', join(dir, 'checkpoints'), '--public-key', keys.publicKey];
        const good = await runFlagline(args, { DATABASE_URL: created.url });
        expect(good.code, good.stderr).toBe(0);
        // The checkpoint's own audit.checkpoint event was sealed after the head it signs.
        expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, checked: total + 1, checkpoints: 1 });
        await asSuperuser(database.db, async (tx) => {
          await tx.execute(
            sql`delete from audit_events where id in (select event_id from audit_chain where position > ${total - 2})`,
          );
          await tx.execute(sql`delete from audit_chain where position > ${total - 2}`);
        });
        const bad = await runFlagline(args, { DATABASE_URL: created.url });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain(`the chain ends at position ${total - 2} but the signed checkpoint`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await killAllFlaglines();
      await database.close();
      await created.drop();
    }
  }, 240_000);
});
