import type { AuditVerification } from '@flagline/core';
import type { Db } from '../db/client';
import { chainBatches } from './audit-service';
import type { WitnessedCheckpoint } from './checkpoint';
import { chainHash } from './hash';
import { countUnsealed } from './sealer';
import { toAuditEvent } from './view';

export interface VerifyOptions {
  /** Signed checkpoints (already checked against the public key): the chain must still reach each of them. */
  checkpoints?: WitnessedCheckpoint[];
  onProgress?: (checked: number) => void;
  batchSize?: number;
}

/**
 * Walks the sealed chain in position order and reports the first problem: a missing position, a missing event, a
 * link that does not follow its predecessor, an event whose hash no longer matches, or — with checkpoints — a chain
 * that differs from, or ends before, what a checkpoint signed. Without checkpoints, someone able to rewrite the tables
 * can re-chain them undetected; the checkpoints, kept outside the database, are what catch that.
 */
export async function verifyAuditChain(db: Db, options: VerifyOptions = {}): Promise<AuditVerification> {
  const checkpoints = options.checkpoints ?? [];
  const byPosition = new Map<number, WitnessedCheckpoint[]>();
  for (const witnessed of checkpoints) {
    const list = byPosition.get(witnessed.checkpoint.position) ?? [];
    list.push(witnessed);
    byPosition.set(witnessed.checkpoint.position, list);
  }
  const broken = (checked: number, firstBrokenId: string | null, problem: string): AuditVerification => ({
    ok: false,
    checked,
    firstBrokenId,
    problem,
    checkpoints: checkpoints.length,
  });
  let checked = 0;
  let prevHash: string | null = null;
  let last: { xactId: bigint; id: bigint } | null = null;
  for await (const rows of chainBatches(db, options.batchSize ?? 1_000)) {
    for (const { link, event } of rows) {
      const position = checked + 1;
      if (Number(link.position) !== position) {
        return broken(
          checked,
          null,
          `chain position ${position} is missing (the next sealed position is ${link.position})`,
        );
      }
      if (!event) {
        return broken(
          checked,
          link.eventId.toString(),
          `event ${link.eventId}, sealed at position ${position}, is missing`,
        );
      }
      if (link.prevHash !== prevHash) {
        return broken(checked, link.eventId.toString(), `position ${position} does not link to position ${checked}`);
      }
      if (chainHash(position, prevHash, toAuditEvent(event)) !== link.hash) {
        return broken(
          checked,
          link.eventId.toString(),
          `event ${link.eventId} at position ${position} was altered (its hash does not match)`,
        );
      }
      for (const { checkpoint, source } of byPosition.get(position) ?? []) {
        if (checkpoint.hash !== link.hash) {
          return broken(
            checked,
            link.eventId.toString(),
            `position ${position} differs from the signed checkpoint ${source} of ${checkpoint.createdAt}: the history up to it was rewritten`,
          );
        }
      }
      prevHash = link.hash;
      last = { xactId: event.xactId, id: event.id };
      checked++;
    }
    options.onProgress?.(checked);
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
