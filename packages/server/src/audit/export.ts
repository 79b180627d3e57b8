import type { AuditEvent, AuditFilter } from '@flagline/core';
import type { Db } from '../db/client';
import { auditRowBatches } from './audit-service';
import { toAuditEvent } from './view';

export type ExportFormat = 'ndjson' | 'csv';

export const CSV_COLUMNS = [
  'id',
  'occurredAt',
  'type',
  'actorType',
  'actorId',
  'actorEmail',
  'environment',
  'flagKey',
  'scheduleId',
  'requestId',
  'data',
  'before',
  'after',
  'prevHash',
  'hash',
  'position',
] as const;

/**
 * One CSV field: quoted when it must be, and with a leading ' when a spreadsheet would otherwise run it as a formula
 * (an actor id or flag description starting with "=" must not become code on an auditor's machine).
 */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(event: AuditEvent): string {
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: event.id,
    occurredAt: event.occurredAt,
    type: event.type,
    actorType: event.actor.type,
    actorId: event.actor.id,
    actorEmail: event.actor.email,
    environment: event.environment,
    flagKey: event.flagKey,
    scheduleId: event.scheduleId,
    requestId: event.requestId,
    data: event.data,
    before: event.before,
    after: event.after,
    position: event.position,
    prevHash: event.prevHash,
    hash: event.hash,
  };
  return `${CSV_COLUMNS.map((column) => csvField(values[column])).join(',')}\r\n`;
}

/**
 * Rows per database batch. Kept well under PGlite's 1 MiB receive buffer (an event is ~600 bytes on the wire): a bigger
 * result makes PGlite grow and then reallocate that buffer on every query, and at 2,000 rows an export of 100,000
 * events left ~70 MB of garbage buffers behind instead of ~10 MB (and ran slower). PostgreSQL is indifferent to it.
 */
const EXPORT_BATCH_SIZE = 1_000;

/** The export as text chunks (a header first for CSV), one chunk per database batch, with its event count. */
export async function* exportChunks(
  db: Db,
  filter: AuditFilter,
  format: ExportFormat,
): AsyncGenerator<{ text: string; events: number }> {
  if (format === 'csv') yield { text: `${CSV_COLUMNS.join(',')}\r\n`, events: 0 };
  for await (const rows of auditRowBatches(db, filter, EXPORT_BATCH_SIZE)) {
    let text = '';
    for (const row of rows) {
      const event = toAuditEvent(row, row.link);
      text += format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`;
    }
    yield { text, events: rows.length };
  }
}

/** A pull-based stream: the next batch is read only when the client has taken the last one (constant memory). */
export function exportStream(db: Db, filter: AuditFilter, format: ExportFormat): ReadableStream<Uint8Array> {
  const chunks = exportChunks(db, filter, format);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value.text));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
