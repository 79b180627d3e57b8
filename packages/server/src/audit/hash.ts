import { createHash } from 'node:crypto';
import type { AuditEvent } from '@flagline/core';
import canonicalize from 'canonicalize';

/** What an event's hash covers: every field of the exported event except its own position and hashes. */
export type ChainedEvent = Omit<AuditEvent, 'position' | 'prevHash' | 'hash'>;

/**
 * The exact bytes a chain link hashes (docs/audit.md): RFC 8785 canonical JSON of
 * `{ position, prevHash, event: { id, type, occurredAt, actor, environment, flagKey, scheduleId, requestId, data,
 * before, after } }`, so any JCS library and any SHA-256 reproduce it from an export line.
 */
export function chainLinkInput(position: number, prevHash: string | null, event: ChainedEvent): string {
  const link = {
    position,
    prevHash,
    event: {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      actor: { type: event.actor.type, id: event.actor.id, email: event.actor.email },
      environment: event.environment,
      flagKey: event.flagKey,
      scheduleId: event.scheduleId,
      requestId: event.requestId,
      data: event.data,
      before: event.before,
      after: event.after,
    },
  };
  const text = canonicalize(link);
  if (text === undefined) throw new Error('an audit event has no canonical JSON form');
  return text;
}

/** Lower-case hex SHA-256 of the link's canonical JSON (UTF-8). */
export function chainHash(position: number, prevHash: string | null, event: ChainedEvent): string {
  return createHash('sha256')
    .update(chainLinkInput(position, prevHash, event))
    .digest('hex');
}
