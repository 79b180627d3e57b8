import { asc, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { WakeableLoop } from '../background/wakeable-loop';
import type { Database, Db, Executor } from '../db/client';
import { auditChain, auditEvents } from '../db/schema';
import { CHANGES_CHANNEL } from '../db/unit-of-work';
import { auditSealLag } from '../shared/metrics';
import { chainHash } from './hash';
import { toAuditEvent } from './view';

/** Announced after each sealed batch commits: the webhook dispatcher delivers in sealed order from there. */
export const AUDIT_SEALED_CHANNEL = 'flagline_audit_sealed';

/** Any fixed number: only one sealer at a time extends the chain, whatever the number of instances. */
const SEALER_LOCK_ID = 4747_0003;

const DEFAULT_BATCH = 500;
/** While committed events wait behind a transaction still in flight, look again this soon. */
const BLOCKED_RETRY_MS = 10;
/** The shortest time between two passes of one instance, however many NOTIFYs arrive. */
const MIN_GAP_MS = 15;
/** How long an instance that found another sealing leaves it to that one. */
const STANDBY_MS = 250;
/**
 * How long a sealer woken from idle by a change waits before sealing it: the change's delivery (every instance's
 * snapshot reload, the streams) goes first instead of sharing the two cores and the database with the seal.
 */
const SETTLE_MS = 10;
/** The safety-net poll when no NOTIFY arrives. */
const POLL_MS = 1_000;

/** The oldest transaction id still running: nothing at or above it may be sealed yet, as it may still commit below. */
const HORIZON = sql`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

export interface ChainHead {
  /** How many events are sealed (the head's position; 0 for an empty chain). */
  position: number;
  hash: string | null;
}

interface HeadCursor extends ChainHead {
  /** The sealed order's last (xact_id, id); every event after it is unsealed. */
  after: { xactId: bigint; id: bigint } | null;
}

export interface SealResult {
  /** Events sealed by this call. */
  sealed: number;
  /** False when another sealer held the lock (it is sealing them). */
  locked: boolean;
  /** Committed events are left after this step: more than a batch, or events behind a transaction still in flight. */
  waiting: boolean;
  head: ChainHead;
}

async function readHead(executor: Executor): Promise<HeadCursor> {
  const [row] = await executor
    .select({
      position: auditChain.position,
      hash: auditChain.hash,
      eventId: auditChain.eventId,
      xactId: auditEvents.xactId,
    })
    .from(auditChain)
    .leftJoin(auditEvents, eq(auditEvents.id, auditChain.eventId))
    .orderBy(desc(auditChain.position))
    .limit(1);
  if (!row) return { position: 0, hash: null, after: null };
  if (row.xactId === null) {
    // Only someone with rights over the database itself can remove a sealed event; never chain past that silently.
    throw new Error(`audit chain head (position ${row.position}) names event ${row.eventId}, which no longer exists`);
  }
  return { position: Number(row.position), hash: row.hash, after: { xactId: row.xactId, id: row.eventId } };
}

const afterCursor = (head: HeadCursor): SQL | undefined =>
  head.after ? sql`(${auditEvents.xactId}, ${auditEvents.id}) > (${head.after.xactId}, ${head.after.id})` : undefined;

export async function readChainHead(db: Db): Promise<ChainHead> {
  const { position, hash } = await readHead(db);
  return { position, hash };
}

/**
 * Committed events not yet in the chain (sealing lag, or a long transaction holding the horizon back): those after
 * the head, or after `sealedUpTo` (the last event a verifier walked, so its two figures describe one moment).
 */
export async function countUnsealed(db: Db, sealedUpTo?: { xactId: bigint; id: bigint } | null): Promise<number> {
  const head = sealedUpTo === undefined ? await readHead(db) : { position: 0, hash: null, after: sealedUpTo };
  const [row] = await db.select({ n: count() }).from(auditEvents).where(afterCursor(head));
  return row?.n ?? 0;
}

/**
 * One sealing step, in one transaction: under the sealer lock, takes the committed events after the chain head that
 * lie below the horizon — the oldest transaction still running, so no event can later commit in front of them — in
 * (transaction id, event id) order, gives them the next positions and their hashes, and creates their webhook
 * deliveries in that order. A sealer killed mid-step rolls back whole: positions never have gaps or doubles (the
 * primary key and the unique event id would refuse them anyway).
 */
export async function sealStep(db: Db, batchSize = DEFAULT_BATCH): Promise<SealResult> {
  return db.transaction(async (tx) => {
    const locking = await tx.execute(
      sql`select pg_try_advisory_xact_lock(${SEALER_LOCK_ID}) as locked, ${HORIZON}::text as horizon`,
    );
    const [lock] = (locking as unknown as { rows: { locked: boolean; horizon: string }[] }).rows;
    const head = await readHead(tx);
    const unchanged = { position: head.position, hash: head.hash };
    if (!lock?.locked) return { sealed: 0, locked: false, waiting: false, head: unchanged };
    // Every committed event after the head, in sealed order: those below the horizon come first and are sealed now;
    // any left over wait for a transaction still in flight (one query answers both).
    const horizon = BigInt(lock.horizon);
    const after = await tx
      .select()
      .from(auditEvents)
      .where(afterCursor(head))
      .orderBy(asc(auditEvents.xactId), asc(auditEvents.id))
      .limit(batchSize + 1);
    const below = after.findIndex((row) => row.xactId >= horizon);
    const rows = after.slice(0, Math.min(below === -1 ? after.length : below, batchSize));
    const waiting = after.length > rows.length;
    if (rows.length === 0) return { sealed: 0, locked: true, waiting, head: unchanged };
    let position = head.position;
    let prevHash = head.hash;
    const links = rows.map((row) => {
      position++;
      const hash = chainHash(position, prevHash, toAuditEvent(row));
      const link = { position: BigInt(position), eventId: row.id, prevHash, hash };
      prevHash = hash;
      return link;
    });
    // The links, the deliveries and the notice in one statement (data-modifying CTEs all run to completion): each
    // round trip of a sealing step delays every event in it, and webhooks wait for the step to commit.
    const chained = JSON.stringify(
      links.map((link) => ({
        position: link.position.toString(),
        event_id: link.eventId.toString(),
        prev_hash: link.prevHash,
        hash: link.hash,
      })),
    );
    // Each event goes to the webhooks that existed when it happened and still exist; events from before sealing
    // existed (xact_id 0) got their deliveries when they were written.
    const sealed = JSON.stringify(
      rows.flatMap((row, i) => (row.xactId > 0n ? [{ id: row.id.toString(), position: i }] : [])),
    );
    // occurred_at is read back from the row: JavaScript dates drop the microseconds the comparison needs.
    // FOR SHARE OF w orders this against a webhook being deleted: a delete that commits first is seen (its row is
    // re-read after the wait), and one that comes later waits for these rows and then fails them with the rest.
    // Without it a delete could miss deliveries this transaction had not yet committed, leaving them pending forever.
    await tx.execute(sql`
      with links as (
        insert into ${auditChain} (position, event_id, prev_hash, hash)
        select l.position, l.event_id, l.prev_hash, l.hash
        from jsonb_to_recordset(${chained}::jsonb) as l(position bigint, event_id bigint, prev_hash text, hash text)
        returning event_id
      ), deliveries as (
        insert into webhook_deliveries (webhook_id, event_id)
        select w.id, e.id
        from jsonb_to_recordset(${sealed}::jsonb) as s(id bigint, position int)
        join audit_events e on e.id = s.id
        join webhooks w on w.deleted_at is null and w.created_at <= e.occurred_at
          and (w.event_types is null or w.event_types @> array[e.type])
        order by s.position, w.id
        for share of w
      )
      select pg_notify(${AUDIT_SEALED_CHANNEL}, ${String(position)}), (select count(*) from links) as linked`);
    const now = Date.now();
    for (const row of rows) auditSealLag.observe(Math.max(0, now - row.occurredAt.getTime()) / 1000);
    return { sealed: rows.length, locked: true, waiting, head: { position, hash: prevHash } };
  });
}

/** Seals until nothing sealable is left (tests, the CLI, and each pass of the loop). */
export async function sealAll(db: Db, batchSize = DEFAULT_BATCH): Promise<SealResult> {
  let total = 0;
  for (;;) {
    const step = await sealStep(db, batchSize);
    total += step.sealed;
    if (!step.locked || step.sealed < batchSize) return { ...step, sealed: total };
  }
}

/**
 * The sealer loop, in every `serve` and `worker`: woken by every change's NOTIFY, it seals what has committed; while
 * events wait behind a transaction still running it looks again within milliseconds, otherwise it sleeps until the
 * next change. `afterSeal` sees the new head (the checkpointer).
 *
 * A busy database sends hundreds of NOTIFYs a second to every instance, and a pass per NOTIFY per instance cost more
 * than the changes themselves (the webhook chaos scenario measured seconds of delivery lag from it). So passes are
 * at least MIN_GAP_MS apart — within the sealing-lag budget — and an instance that found the lock taken leaves the
 * sealing to its holder for STANDBY_MS, waking only for the poll's sake if the holder has gone.
 */
export class AuditSealer extends WakeableLoop {
  private notBefore = 0;

  constructor(
    database: Database,
    logger: Logger,
    private readonly afterSeal?: (head: ChainHead) => Promise<void>,
    private readonly batchSize = DEFAULT_BATCH,
  ) {
    super(database, logger, CHANGES_CHANNEL, POLL_MS);
  }

  private idle = false;

  protected async pass(): Promise<number | undefined> {
    const early = this.notBefore - Date.now();
    if (early > 0) return early;
    if (this.idle) {
      this.idle = false;
      this.notBefore = Date.now() + SETTLE_MS;
      return SETTLE_MS;
    }
    const result = await sealAll(this.database.db, this.batchSize);
    await this.afterSeal?.(result.head);
    if (!result.locked) {
      // Another instance holds the lock: it seals what is there and keeps looking while events wait.
      this.notBefore = Date.now() + STANDBY_MS;
      return STANDBY_MS;
    }
    this.notBefore = Date.now() + MIN_GAP_MS;
    if (result.waiting) return Math.max(BLOCKED_RETRY_MS, MIN_GAP_MS);
    this.idle = true;
    return undefined;
  }
}
