import type { AuditEvent, AuditEventType, AuditFilter } from '@flagline/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Badge, Empty, ErrorMessage, Field, Loading, PageHeader } from '../components/ui';
import { AUDIT_EVENT_TYPES } from '../lib/audit-types';
import { actorLabel, POLL_MS, useTokenNames } from '../lib/queries';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import { formatAgo, formatLocal, formatUtc, fromDateTimeInput, localTimeZone, useNow, utcOffset } from '../lib/time';

interface FilterForm {
  type: AuditEventType | '';
  flagKey: string;
  actorId: string;
  environment: string;
  from: string;
  to: string;
}

const EMPTY: FilterForm = { type: '', flagKey: '', actorId: '', environment: '', from: '', to: '' };

function toFilter(form: FilterForm): AuditFilter {
  const from = form.from ? fromDateTimeInput(form.from, 'local') : undefined;
  const to = form.to ? fromDateTimeInput(form.to, 'local') : undefined;
  return {
    ...(form.type ? { type: form.type } : {}),
    ...(form.flagKey.trim() ? { flagKey: form.flagKey.trim() } : {}),
    ...(form.actorId.trim() ? { actorId: form.actorId.trim() } : {}),
    ...(form.environment ? { environment: form.environment } : {}),
    ...(from ? { from: from.toISOString() } : {}),
    ...(to ? { to: to.toISOString() } : {}),
  };
}

function useDebouncedValue<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

const typeTone = (type: string) =>
  type.endsWith('failed') || type.endsWith('deleted') || type.endsWith('revoked') || type.endsWith('removed')
    ? 'danger'
    : type.endsWith('retrying') || type.endsWith('cancelled')
      ? 'warning'
      : type.endsWith('applied') || type.endsWith('created')
        ? 'success'
        : 'info';

export function AuditPage() {
  const { client, environments } = useSession();
  const names = useTokenNames();
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const filter = useDebouncedValue(
    useMemo(() => toFilter(form), [form]),
    300,
  );
  const filterKey = JSON.stringify(filter);
  const now = useNow(10_000);

  const events = useInfiniteQuery({
    queryKey: ['audit', filterKey],
    queryFn: ({ pageParam }) => client.listAudit({ ...filter, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const newestLoaded = items[0]?.id;

  // New events arrive at the top: watch the newest one cheaply and refetch the loaded pages when it changes.
  const head = useQuery({
    queryKey: ['audit-head', filterKey],
    queryFn: () => client.listAudit({ ...filter, limit: 1 }),
    refetchInterval: POLL_MS,
  });
  const newestId = head.data?.items[0]?.id;
  const refetchEvents = events.refetch;
  useEffect(() => {
    if (newestId !== undefined && newestLoaded !== undefined && newestId !== newestLoaded) void refetchEvents();
    if (newestId !== undefined && newestLoaded === undefined && events.isSuccess) void refetchEvents();
  }, [newestId, newestLoaded, refetchEvents, events.isSuccess]);

  const verify = useQuery({
    queryKey: ['audit-verify', newestId ?? ''],
    queryFn: () => client.verifyAudit(),
    placeholderData: (previous) => previous,
  });

  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = events;
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: '400px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const set = (patch: Partial<FilterForm>) => setForm((previous) => ({ ...previous, ...patch }));
  const zone = `Your time: ${localTimeZone()} (UTC${utcOffset(new Date())})`;
  const active = filterKey !== '{}';

  return (
    <>
      <PageHeader title="Audit trail">
        <ChainState verify={verify} />
      </PageHeader>
      <section className="card" aria-labelledby="filters-heading">
        <div className="card-header">
          <h2 id="filters-heading">Filters</h2>
          <ExportButtons filter={filter} />
        </div>
        <form className="filters" onSubmit={(event) => event.preventDefault()}>
          <Field label="Event type">
            {(props) => (
              <select
                {...props}
                value={form.type}
                onChange={(event) => set({ type: event.target.value as FilterForm['type'] })}
              >
                <option value="">Any type</option>
                {AUDIT_EVENT_TYPES.map((type) => (
                  <option key={type} value={type}>
                    {type}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Flag key">
            {(props) => (
              <input
                {...props}
                value={form.flagKey}
                onChange={(event) => set({ flagKey: event.target.value })}
                autoCapitalize="off"
                spellCheck={false}
              />
            )}
          </Field>
          <Field label="Actor id" hint="A token id, a user’s subject, or “scheduler” for applied schedules.">
            {(props) => (
              <>
                <input
                  {...props}
                  list="audit-actors"
                  value={form.actorId}
                  onChange={(event) => set({ actorId: event.target.value })}
                  autoCapitalize="off"
                  spellCheck={false}
                />
                <datalist id="audit-actors">
                  <option value="scheduler">system (scheduler)</option>
                  <option value="FLAGLINE_ADMIN_TOKEN">FLAGLINE_ADMIN_TOKEN</option>
                  {[...names.entries()].map(([id, name]) => (
                    <option key={id} value={id}>
                      {name}
                    </option>
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Environment">
            {(props) => (
              <select
                {...props}
                value={form.environment}
                onChange={(event) => set({ environment: event.target.value })}
              >
                <option value="">Any environment</option>
                {environments.map((environment) => (
                  <option key={environment.key} value={environment.key}>
                    {environment.key}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="From" hint={zone}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                step={1}
                value={form.from}
                onChange={(event) => set({ from: event.target.value })}
              />
            )}
          </Field>
          <Field label="Until" hint={zone}>
            {(props) => (
              <input
                {...props}
                type="datetime-local"
                step={1}
                value={form.to}
                onChange={(event) => set({ to: event.target.value })}
              />
            )}
          </Field>
          <div className="field field-submit">
            <button
              type="button"
              className="button"
              disabled={!active && form === EMPTY}
              onClick={() => setForm(EMPTY)}
            >
              Clear filters
            </button>
          </div>
        </form>
      </section>
      <section aria-labelledby="events-heading">
        <h2 id="events-heading" className="visually-hidden">
          Events, newest first
        </h2>
        {events.isPending ? (
          <Loading label="Loading events…" />
        ) : events.isError ? (
          <ErrorMessage error={events.error} title="Could not load the audit trail" />
        ) : items.length === 0 ? (
          <Empty>
            <p>{active ? 'No event matches these filters.' : 'No events yet: every change will appear here.'}</p>
          </Empty>
        ) : (
          <ol className="events">
            {items.map((event) => (
              <AuditEventItem key={event.id} event={event} names={names} now={now} />
            ))}
          </ol>
        )}
        <div ref={sentinel} />
        {events.hasNextPage ? (
          <button
            type="button"
            className="button button-block"
            onClick={() => void events.fetchNextPage()}
            disabled={events.isFetchingNextPage}
          >
            {events.isFetchingNextPage ? 'Loading older events…' : 'Load older events'}
          </button>
        ) : items.length > 0 ? (
          <p className="muted small center">The beginning of the trail{active ? ' for these filters' : ''}.</p>
        ) : null}
        {events.isFetchNextPageError ? <ErrorMessage error={events.error} title="Could not load older events" /> : null}
      </section>
    </>
  );
}

function ChainState({
  verify,
}: {
  verify: {
    data?: { ok: boolean; checked: number; firstBrokenId: string | null } | undefined;
    isError: boolean;
    error: unknown;
  };
}) {
  if (verify.isError) return <ErrorMessage error={verify.error} title="Chain check failed" />;
  if (!verify.data) return <span className="muted">Verifying the hash chain…</span>;
  return verify.data.ok ? (
    <span className="chain chain-ok" role="status">
      <span aria-hidden="true">✔</span> Hash chain intact · {verify.data.checked} events verified
    </span>
  ) : (
    <span className="chain chain-broken" role="alert">
      <span aria-hidden="true">✖</span> Hash chain broken at event #{verify.data.firstBrokenId} ({verify.data.checked}{' '}
      checked): the trail was altered
    </span>
  );
}

function ExportButtons({ filter }: { filter: AuditFilter }) {
  const { client } = useSession();
  const [state, setState] = useState<{ busy?: string; done?: string; error?: unknown }>({});
  const download = async (format: 'ndjson' | 'csv') => {
    setState({ busy: format });
    try {
      // The export needs the Authorization header, so it cannot be a plain link: fetch it, then save the blob.
      const response = await client.send('GET', '/api/admin/audit/export', { query: { ...filter, format } });
      const blob = await response.blob();
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `flagline-audit.${format}`;
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = filename;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setState({ done: `Saved ${filename} (${Math.max(1, Math.round(blob.size / 1024))} KB).` });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div className="export">
      <span className="muted small">Export{Object.keys(filter).length > 0 ? ' (filtered)' : ''}:</span>
      <button
        type="button"
        className="button button-small"
        disabled={!!state.busy}
        onClick={() => void download('ndjson')}
      >
        {state.busy === 'ndjson' ? 'Exporting…' : 'NDJSON'}
      </button>
      <button
        type="button"
        className="button button-small"
        disabled={!!state.busy}
        onClick={() => void download('csv')}
      >
        {state.busy === 'csv' ? 'Exporting…' : 'CSV'}
      </button>
      <span className="small" role="status">
        {state.done ?? ''}
      </span>
      {state.error ? <ErrorMessage error={state.error} title="Export failed" /> : null}
    </div>
  );
}

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

function AuditEventItem({ event, names, now }: { event: AuditEvent; names: Map<string, string>; now: number }) {
  const changes = diffEvent(event);
  return (
    <li className="event card" data-event-type={event.type}>
      <div className="event-head">
        <Badge tone={typeTone(event.type)}>{event.type}</Badge>
        {event.flagKey ? (
          <Link to={`/flags/${encodeURIComponent(event.flagKey)}`} className="flag-key">
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
