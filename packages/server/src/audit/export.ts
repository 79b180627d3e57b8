import type { AuditEvent, AuditFilter } from '@flagline/core';
import { and, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditChain, auditEvents } from '../db/schema';
import { auditConditions, auditRowBatches } from './audit-service';
import { eventJsonColumns } from './event-json';
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
 * Rows per database batch for CSV (built here, from parsed rows). Kept well under PGlite's 1 MiB receive buffer (an
 * event is ~600 bytes on the wire): a bigger result makes PGlite grow and then reallocate that buffer on every query,
 * and at 2,000 rows an export of 100,000 events left ~70 MB of garbage buffers behind instead of ~10 MB (and ran
 * slower). PostgreSQL is indifferent to it.
 */
const EXPORT_BATCH_SIZE = 1_000;
/** NDJSON rows per batch: the same bound as CSV's (the rendered lines are the same size on the wire). */
const NDJSON_BATCH_SIZE = 1_000;

/** The export as text chunks (a header first for CSV), one chunk per database batch, with its event count. */
export async function* exportChunks(
  db: Db,
  filter: AuditFilter,
  format: ExportFormat,
): AsyncGenerator<{ text: string; events: number }> {
  if (format === 'ndjson') {
    yield* ndjsonChunks(db, filter);
    return;
  }
  yield { text: `${CSV_COLUMNS.join(',')}\r\n`, events: 0 };
  for await (const rows of auditRowBatches(db, filter, EXPORT_BATCH_SIZE)) {
    let text = '';
    for (const row of rows) text += csvLine(toAuditEvent(row, row.link));
    yield { text, events: rows.length };
  }
}

/**
 * NDJSON lines written by the database, a batch per query (keyset on the chain position, so memory stays constant and
 * no transaction stays open): parsing every row into objects and serialising them again cost most of an export's
 * time in Node. Each line is the event exactly as the API returns it (toAuditEvent): the same fields in the same
 * order, ids as strings, occurredAt truncated to milliseconds as JavaScript's Date does, position a number. The one
 * difference from JSON.stringify is insignificant whitespace inside data, before and after (PostgreSQL renders jsonb
 * as `{"a": 1}`); every JSON parser, the verifier included, reads the same values.
 */
async function* ndjsonChunks(db: Db, filter: AuditFilter): AsyncGenerator<{ text: string; events: number }> {
  // One row per line (string_agg over a batch cost more than the rendering itself); Node only joins them.
  const read = async (after: string | null) => {
    const result: unknown = await db.execute(sql`
      select b."position"::text as position, row_to_json(b)::text as line
      from (
        select ${eventJsonColumns},
          ch.prev_hash as "prevHash", ch.hash as "hash", ch.position as "position"
        from ${auditChain} as ch join ${auditEvents} on audit_events.id = ch.event_id
        where ${and(auditConditions(filter), after === null ? undefined : sql`ch.position > ${after}::bigint`) ?? sql`true`}
        order by ch.position
        limit ${NDJSON_BATCH_SIZE}
      ) as b
      order by b."position"`);
    const rows = (result as { rows: { position: string; line: string }[] }).rows;
    let text = '';
    for (const row of rows) text += `${row.line}\n`;
    return { n: rows.length, last: rows.at(-1)?.position ?? null, text };
  };
  // One batch read ahead: the database renders the next while this one is sent.
  let next: ReturnType<typeof read> | undefined = read(null);
  try {
    while (next) {
      const batch = await next;
      next = undefined;
      if (batch.n === 0 || batch.last === null) return;
      if (batch.n === NDJSON_BATCH_SIZE) next = read(batch.last);
      yield { text: batch.text, events: batch.n };
    }
  } finally {
    // A reader that stops early leaves the read ahead unawaited: its failure is of no interest then.
    next?.catch(() => {});
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
