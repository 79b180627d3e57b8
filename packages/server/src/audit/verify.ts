import type { AuditVerification } from '@flagline/core';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditChain, auditEvents } from '../db/schema';
import type { WitnessedCheckpoint } from './checkpoint';
import { eventJsonColumns } from './event-json';
import { countUnsealed } from './sealer';
import { type BatchVerdict, VerifyPool } from './verify-pool';

export interface VerifyOptions {
  /** Signed checkpoints (already checked against the public key): the chain must still reach each of them. */
  checkpoints?: WitnessedCheckpoint[];
  onProgress?: (checked: number) => void;
  batchSize?: number;
}

/** Chain ranges read at once (with hashing, the pool's workers run beside them). */
const READ_AHEAD = 3;

interface ChainBatch {
  n: number;
  lastPosition: string | null;
  lastHash: string | null;
  lastXactId: string | null;
  lastEventId: string | null;
  lines: string | null;
}

/**
 * The links at positions first…last in position order, each with its event rendered as the API shows it
 * (event-json.ts; null when the event row is gone), as NDJSON made by the database, plus what the walk needs next:
 * the last link's position, stored hash and event (xact_id, id). Positions are gapless by construction (1, 2, 3 …),
 * so ranges can be read side by side; a gap shows up as a position the worker does not find where it expects it.
 */
async function readChainRange(db: Db, first: number, last: number): Promise<ChainBatch> {
  // One row per link (string_agg over a range cost more than the rendering itself); Node only joins them.
  const result: unknown = await db.execute(sql`
    select l.position::text as position, l.hash, l.xact_id::text as "xactId", l."eventId",
      row_to_json(l)::text as line
    from (
      select ch.position, ch.event_id::text as "eventId", ch.prev_hash as "prevHash", ch.hash,
        case when audit_events.id is null then null
          else (select e from (select ${eventJsonColumns}) as e) end as event,
        audit_events.xact_id
      from ${auditChain} as ch left join ${auditEvents} on audit_events.id = ch.event_id
      where ch.position between ${first} and ${last}
    ) as l
    order by l.position`);
  const rows = (
    result as { rows: { position: string; hash: string; xactId: string | null; eventId: string; line: string }[] }
  ).rows;
  const final = rows.at(-1);
  let lines = '';
  for (const row of rows) lines += `${row.line}\n`;
  return {
    n: rows.length,
    lastPosition: final?.position ?? null,
    lastHash: final?.hash ?? null,
    lastXactId: final?.xactId ?? null,
    lastEventId: final?.eventId ?? null,
    lines: final ? lines : null,
  };
}

/** The first sealed position after `position`, if any (what follows a gap). */
async function nextPosition(db: Db, position: number): Promise<string | null> {
  const result: unknown = await db.execute(
    sql`select min(position)::text as next from ${auditChain} where position > ${position}`,
  );
  return (result as { rows: { next: string | null }[] }).rows[0]?.next ?? null;
}

/**
 * Walks the sealed chain in position order and reports the first problem: a missing position, a missing event, a
 * link that does not follow its predecessor, an event whose hash no longer matches, or — with checkpoints — a chain
 * that differs from, or ends before, what a checkpoint signed. Without checkpoints, someone able to rewrite the tables
 * can re-chain them undetected; the checkpoints, kept outside the database, are what catch that.
 *
 * The database renders the links (no per-row parsing here), batches are read one after another — each batch's first
 * position and previous hash are known from the one before — and hashed in parallel by worker threads
 * (verify-pool.ts); verdicts are taken in order, so the first problem reported is the first in the chain.
 */
export async function verifyAuditChain(db: Db, options: VerifyOptions = {}): Promise<AuditVerification> {
  const checkpoints = options.checkpoints ?? [];
  const batchSize = options.batchSize ?? 1_000;
  const broken = (checked: number, firstBrokenId: string | null, problem: string): AuditVerification => ({
    ok: false,
    checked,
    firstBrokenId,
    problem,
    checkpoints: checkpoints.length,
  });
  const pool = new VerifyPool();
  // Batches in flight: enough to keep every worker busy while the next is read, few enough to bound memory.
  const inFlight: { verdict: Promise<BatchVerdict>; batch: ChainBatch; start: number }[] = [];
  let checked = 0;
  let last: { xactId: bigint; id: bigint } | null = null;
  /** Takes the oldest verdict; a problem ends the walk (returned), otherwise it advances `checked`. */
  const settleOldest = async (): Promise<AuditVerification | null> => {
    const oldest = inFlight.shift();
    if (!oldest) return null;
    const verdict = await oldest.verdict;
    checked = oldest.start + verdict.passed;
    if (verdict.problem) return broken(checked, verdict.problem.firstBrokenId, verdict.problem.problem);
    const { lastXactId, lastEventId } = oldest.batch;
    // A link whose event is gone fails in the worker, so a passed batch's last link has its event.
    if (lastXactId !== null && lastEventId !== null) last = { xactId: BigInt(lastXactId), id: BigInt(lastEventId) };
    options.onProgress?.(checked);
    return null;
  };
  try {
    // Ranges are read READ_AHEAD at a time (each on its own connection on PostgreSQL), rendered by the database, and
    // hashed by the pool; a range's previous hash is the stored hash the range before it ends on.
    const reads: Promise<ChainBatch>[] = [];
    let nextFirst = 1;
    const readNext = () => {
      const first = nextFirst;
      nextFirst += batchSize;
      const read = readChainRange(db, first, first + batchSize - 1);
      read.catch(() => {});
      reads.push(read);
    };
    for (let i = 0; i < READ_AHEAD; i++) readNext();
    let read = 0;
    let prevHash: string | null = null;
    for (;;) {
      const batch = (await reads.shift()) as ChainBatch;
      readNext();
      if (batch.n === 0 || batch.lines === null) {
        // The end, or a gap longer than a range: the walk names the missing position if links follow.
        const after = await nextPosition(db, read);
        if (after === null) break;
        while (inFlight.length > 0) {
          const problem = await settleOldest();
          if (problem) return problem;
        }
        return broken(checked, null, `chain position ${checked + 1} is missing (the next sealed position is ${after})`);
      }
      const start = read;
      const batchCheckpoints = checkpoints
        .filter(({ checkpoint }) => checkpoint.position > start && checkpoint.position <= start + batch.n)
        .map(({ checkpoint, source }) => ({ ...checkpoint, source }));
      inFlight.push({
        verdict: pool.check({ text: batch.lines, checked: start, prevHash, checkpoints: batchCheckpoints }),
        batch,
        start,
      });
      // Rejections are handled when the verdict is taken; until then they must not count as unhandled.
      inFlight.at(-1)?.verdict.catch(() => {});
      read += batch.n;
      prevHash = batch.lastHash;
      while (inFlight.length > pool.size * 2) {
        const problem = await settleOldest();
        if (problem) return problem;
      }
      if (batch.n < batchSize) {
        // A short range: a gap inside it (the worker finds it), or the end — unless links follow further on.
        const after = await nextPosition(db, nextFirst - READ_AHEAD * batchSize - 1);
        if (after === null) break;
        while (inFlight.length > 0) {
          const problem = await settleOldest();
          if (problem) return problem;
        }
        return broken(checked, null, `chain position ${checked + 1} is missing (the next sealed position is ${after})`);
      }
    }
    while (inFlight.length > 0) {
      const problem = await settleOldest();
      if (problem) return problem;
    }
    await Promise.allSettled(reads);
  } finally {
    await pool.close();
  }
  const beyond = checkpoints.filter(({ checkpoint }) => checkpoint.position > checked).at(-1);
  if (beyond) {
    return broken(
      checked,
      null,
      `the chain ends at position ${checked} but the signed checkpoint ${beyond.source} of ${beyond.checkpoint.createdAt} covers ${beyond.checkpoint.position}: sealed events were deleted`,
    );
  }
  return {
    ok: true,
    checked,
    firstBrokenId: null,
    unsealed: await countUnsealed(db, last),
    problem: null,
    checkpoints: checkpoints.length,
  };
}
