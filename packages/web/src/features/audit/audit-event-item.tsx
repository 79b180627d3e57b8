import type { AuditEvent } from '@flagline/core';
import { Link } from '@tanstack/react-router';
import { Badge } from '../../components/ui';
import { actorLabel } from '../../lib/actors';
import { formatAgo, formatLocal, formatUtc } from '../../lib/time';

const typeTone = (type: string) =>
  type.endsWith('failed') || type.endsWith('deleted') || type.endsWith('revoked') || type.endsWith('removed')
    ? 'danger'
    : type.endsWith('retrying') || type.endsWith('cancelled')
      ? 'warning'
      : type.endsWith('applied') || type.endsWith('created')
        ? 'success'
        : 'info';

type Flat = Map<string, string>;

/** Nested before/after objects as "path → JSON value", so a diff can name the exact field that changed. */
function flatten(value: Record<string, unknown> | null, prefix = '', out: Flat = new Map(), depth = 0): Flat {
  if (!value) return out;
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (item && typeof item === 'object' && !Array.isArray(item) && depth < 3) {
      flatten(item as Record<string, unknown>, path, out, depth + 1);
    } else {
      out.set(path, JSON.stringify(item));
    }
  }
  return out;
}

export function diffEvent(
  event: AuditEvent,
): { field: string; before: string | undefined; after: string | undefined }[] {
  const before = flatten(event.before);
  const after = flatten(event.after);
  const fields = [...new Set([...before.keys(), ...after.keys()])];
  return (
    fields
      .filter((field) => before.get(field) !== after.get(field))
      // A created (or deleted) record's empty fields say nothing: keep the ones with a value.
      .filter((field) => !(event.before === null && after.get(field) === 'null'))
      .filter((field) => !(event.after === null && before.get(field) === 'null'))
      .map((field) => ({ field, before: before.get(field), after: after.get(field) }))
  );
}

export function AuditEventItem({ event, names, now }: { event: AuditEvent; names: Map<string, string>; now: number }) {
  const changes = diffEvent(event);
  return (
    <li className="event card" data-event-type={event.type}>
      <div className="event-head">
        <Badge tone={typeTone(event.type)}>{event.type}</Badge>
        {event.flagKey ? (
          <Link to="/flags/$flagKey" params={{ flagKey: event.flagKey }} className="flag-key">
            {event.flagKey}
          </Link>
        ) : null}
        {event.environment ? <span className="muted">in {event.environment}</span> : null}
        <span className="event-actor">
          by <strong>{actorLabel(event.actor, names)}</strong>
        </span>
        <time dateTime={event.occurredAt} title={formatUtc(event.occurredAt)} className="event-time">
          {formatLocal(event.occurredAt)} · {formatAgo(event.occurredAt, now)}
        </time>
      </div>
      {changes.length > 0 ? (
        <div className="table-wrap">
          <table className="table compact diff">
            <caption className="visually-hidden">Fields changed by event {event.id}</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr key={change.field}>
                  <th scope="row">
                    <code>{change.field}</code>
                  </th>
                  <td className="diff-before">
                    {change.before === undefined ? <span className="muted">—</span> : <code>{change.before}</code>}
                  </td>
                  <td className="diff-after">
                    {change.after === undefined ? <span className="muted">—</span> : <code>{change.after}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted small">No state fields changed.</p>
      )}
      <details className="event-details">
        <summary>Details · event #{event.id}</summary>
        <dl className="facts small">
          <dt>Actor</dt>
          <dd>
            {event.actor.type} <code>{event.actor.id}</code>
            {event.actor.email ? ` (${event.actor.email})` : ''}
          </dd>
          {event.requestId ? (
            <>
              <dt>Request</dt>
              <dd>
                <code>{event.requestId}</code>
              </dd>
            </>
          ) : null}
          {event.scheduleId ? (
            <>
              <dt>Schedule</dt>
              <dd>
                <code>{event.scheduleId}</code>
              </dd>
            </>
          ) : null}
          <dt>Hash</dt>
          <dd>
            <code className="hash">{event.hash ?? '—'}</code>
          </dd>
        </dl>
        <pre className="json">{JSON.stringify(event.data, null, 2)}</pre>
      </details>
    </li>
  );
}
