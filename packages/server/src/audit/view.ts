import type { AuditEvent, AuditEventType } from '@flagline/core';
import type { auditEvents } from '../db/schema';

export function toAuditEvent(row: typeof auditEvents.$inferSelect): AuditEvent {
  return {
    id: row.id.toString(),
    type: row.type as AuditEventType,
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
  };
}
