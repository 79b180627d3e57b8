import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { auditQueries } from '../../api/audit';
import { QueryState } from '../../components/query-state';
import { Empty, ErrorMessage, PageHeader } from '../../components/ui';
import { useTokenNames } from '../../lib/actors';
import { useNow } from '../../lib/time';
import { useDebounced } from '../../lib/use-debounced';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { AuditEventItem } from './audit-event-item';
import { AuditFilterFields, EMPTY_FILTERS, type FilterForm, toFilter } from './audit-filters';
import { ChainState } from './chain-state';
import { ExportButtons } from './export-buttons';

export function AuditPage() {
  const { client } = useSession();
  useDocumentTitle('Audit');
  const names = useTokenNames();
  const [form, setForm] = useState<FilterForm>(EMPTY_FILTERS);
  const filter = useDebounced(
    useMemo(() => toFilter(form), [form]),
    300,
  );
  const now = useNow(10_000);

  const events = useInfiniteQuery(auditQueries.list(client, filter));
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const newestLoaded = items[0]?.id;

  // New events arrive at the top: watch the newest one cheaply and refetch the loaded pages when it changes.
  const head = useQuery(auditQueries.head(client, filter));
  const newestId = head.data?.items[0]?.id;
  const refetchEvents = events.refetch;
  useEffect(() => {
    if (newestId !== undefined && newestLoaded !== undefined && newestId !== newestLoaded) void refetchEvents();
    if (newestId !== undefined && newestLoaded === undefined && events.isSuccess) void refetchEvents();
  }, [newestId, newestLoaded, refetchEvents, events.isSuccess]);

  const verify = useQuery(auditQueries.verify(client, newestId ?? ''));

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
  const active = Object.keys(filter).length > 0;

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
        <AuditFilterFields
          form={form}
          onChange={set}
          onClear={() => setForm(EMPTY_FILTERS)}
          clearable={active || form !== EMPTY_FILTERS}
        />
      </section>
      <section aria-labelledby="events-heading">
        <h2 id="events-heading" className="visually-hidden">
          Events, newest first
        </h2>
        <QueryState
          query={events}
          loading="Loading events…"
          errorTitle="Could not load the audit trail"
          isEmpty={() => items.length === 0}
          empty={
            <Empty>
              <p>{active ? 'No event matches these filters.' : 'No events yet: every change will appear here.'}</p>
            </Empty>
          }
        >
          {() => (
            <ol className="events">
              {items.map((event) => (
                <AuditEventItem key={event.id} event={event} names={names} now={now} />
              ))}
            </ol>
          )}
        </QueryState>
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
