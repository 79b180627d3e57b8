import { sql } from 'drizzle-orm';

/**
 * An audit event's fields as the API returns them (toAuditEvent), for the database to render as JSON (row_to_json):
 * the same names in the same order, the id as a string, occurredAt truncated to milliseconds as JavaScript's Date
 * does, the actor as a nested object. It reads "audit_events" columns (the shared filter conditions name that table
 * too). Exports and verify use it so that Node does not parse and re-serialise every row.
 */
export const eventJsonColumns = sql`audit_events.id::text as "id", audit_events.type as "type",
  to_char(audit_events.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt",
  (select a from (select audit_events.actor_type as "type", audit_events.actor_id as "id",
    audit_events.actor_email as "email") as a) as "actor",
  audit_events.environment as "environment", audit_events.flag_key as "flagKey",
  audit_events.schedule_id as "scheduleId", audit_events.request_id as "requestId",
  audit_events.data as "data", audit_events.before as "before", audit_events.after as "after"`;
