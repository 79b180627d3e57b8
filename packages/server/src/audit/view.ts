import type { AuditEvent } from '@flagline/core';
import type { auditEvents } from '../db/schema';

/**
 * The API's view of a row. Rows are only written by AuditRecorder, whose input is AuditEventData, so a row's `type` and
 * `data` agree; the two columns cannot say so to the type system, hence the one assertion.
 */
export function toAuditEvent(row: typeof auditEvents.$inferSelect): AuditEvent {
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
    prevHash: row.prevHash,
    hash: row.hash,
  } as AuditEvent;
}
