import type { AuditEvent } from '@flagline/core';
import type { auditChain, auditEvents } from '../db/schema';

export type AuditRow = typeof auditEvents.$inferSelect;
export type ChainRow = typeof auditChain.$inferSelect;
/** An event with its chain link; the link is null until the sealer has reached the event. */
export type SealedAuditRow = AuditRow & { link: Pick<ChainRow, 'position' | 'prevHash' | 'hash'> | null };

/**
 * The API's view of a row. Rows are only written by AuditRecorder, whose input is AuditEventData, so a row's `type` and
 * `data` agree; the two columns cannot say so to the type system, hence the one assertion.
 */
export function toAuditEvent(row: AuditRow, link?: SealedAuditRow['link']): AuditEvent {
  return {
    id: row.id.toString(),
    type: row.type,
    occurredAt: row.occurredAt.toISOString(),
    actor: { type: row.actorType, id: row.actorId, email: row.actorEmail },
    environment: row.environment,
    flagKey: row.flagKey,
    scheduleId: row.scheduleId,
    requestId: row.requestId,
    data: row.data,
    before: row.before,
    after: row.after,
    prevHash: link?.prevHash ?? null,
    hash: link?.hash ?? null,
    position: link ? Number(link.position) : null,
  } as AuditEvent;
}
