import type { FlagView } from '@flagline/core';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { flagQueries } from '../../api/flags';
import { scheduleQueries } from '../../api/schedules';
import { DataTable } from '../../components/data-table';
import { EnvironmentBadge } from '../../components/environment-badge';
import { QueryState } from '../../components/query-state';
import { RolloutBar } from '../../components/rollout-bar';
import { Badge, ConfirmDialog, Empty, ErrorMessage, PageHeader, Switch } from '../../components/ui';
import { formatAgo, formatLocal, useNow } from '../../lib/time';
import { useDebounced } from '../../lib/use-debounced';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { CreateFlagCard } from './create-flag-card';

export function FlagsPage() {
  const session = useSession();
  const { client, environment, canWrite } = session;
  useDocumentTitle('Flags');
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const flags = useInfiniteQuery(flagQueries.list(session, q));
  const items = flags.data?.pages.flatMap((page) => page.items) ?? [];
  const [confirm, setConfirm] = useState<{ flag: FlagView; next: boolean } | null>(null);
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: ({ flag, next }: { flag: FlagView; next: boolean }) =>
      client.updateFlag(flag.key, { enabled: next }, { environment, ifMatch: flag.version }),
    onSuccess: () => setConfirm(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: flagQueries.inEnvironment(session) }),
  });
  const requestToggle = (flag: FlagView, next: boolean) => {
    toggle.reset();
    if (environment === 'production') setConfirm({ flag, next });
    else toggle.mutate({ flag, next });
  };

  return (
    <>
      <PageHeader title="Flags">
        <span className="muted">
          in <EnvironmentBadge environment={environment} />
        </span>
      </PageHeader>
      {canWrite ? <CreateFlagCard /> : null}
      <section className="card" aria-labelledby="flag-list-heading">
        <div className="card-header">
          <h2 id="flag-list-heading">All flags</h2>
          <div className="search">
            <label htmlFor="flag-search" className="visually-hidden">
              Search flags
            </label>
            <input
              id="flag-search"
              type="search"
              placeholder="Search by key or description"
              value={search}
              onChange={(event) => setSearch(event.target.value)}
            />
          </div>
        </div>
        {toggle.error && !confirm ? <ErrorMessage error={toggle.error} title="The flag was not changed" /> : null}
        <QueryState
          query={flags}
          loading="Loading flags…"
          errorTitle="Could not load the flags"
          isEmpty={() => items.length === 0}
          empty={
            <Empty>
              {q ? <p>No flag matches “{q}”.</p> : <p>No flags yet.{canWrite ? ' Create the first one above.' : ''}</p>}
            </Empty>
          }
        >
          {() => (
            <FlagTable
              flags={items}
              onToggle={requestToggle}
              toggling={toggle.isPending ? toggle.variables?.flag.key : undefined}
            />
          )}
        </QueryState>
        {flags.hasNextPage ? (
          <button
            type="button"
            className="button"
            onClick={() => void flags.fetchNextPage()}
            disabled={flags.isFetchingNextPage}
          >
            {flags.isFetchingNextPage ? 'Loading…' : 'Load more flags'}
          </button>
        ) : null}
      </section>
      <ConfirmDialog
        open={confirm !== null}
        title={confirm ? `Turn ${confirm.next ? 'on' : 'off'} “${confirm.flag.key}” in production?` : ''}
        confirmLabel={confirm?.next ? 'Turn on' : 'Turn off'}
        tone={confirm?.next ? 'primary' : 'danger'}
        busy={toggle.isPending}
        error={toggle.error}
        onCancel={() => {
          setConfirm(null);
          toggle.reset();
        }}
        onConfirm={() => confirm && toggle.mutate(confirm)}
      >
        {confirm ? (
          <p>
            This changes what production users get right away
            {confirm.next ? ` (rollout ${confirm.flag.rolloutPercentage}%)` : ' (the kill switch beats every override)'}
            .
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

function FlagTable({
  flags,
  onToggle,
  toggling,
}: {
  flags: FlagView[];
  onToggle(flag: FlagView, next: boolean): void;
  /** The key of the flag whose toggle is on its way. */
  toggling: string | undefined;
}) {
  const session = useSession();
  const { environment, canWrite } = session;
  const now = useNow(5000);
  const pending = useQuery(scheduleQueries.pending(session));
  const pendingByFlag = useMemo(() => {
    const counts = new Map<string, number>();
    for (const schedule of pending.data ?? []) counts.set(schedule.flagKey, (counts.get(schedule.flagKey) ?? 0) + 1);
    return counts;
  }, [pending.data]);
  return (
    <DataTable columns={['Flag', 'Enabled', 'Rollout', 'Pending schedules', 'Last change']}>
      {flags.map((flag) => {
        const count = pendingByFlag.get(flag.key) ?? 0;
        return (
          <tr key={flag.key} data-flag={flag.key}>
            <td data-label="Flag">
              <Link to="/flags/$flagKey" params={{ flagKey: flag.key }} className="flag-key">
                {flag.key}
              </Link>
              {flag.description ? <div className="muted small">{flag.description}</div> : null}
            </td>
            <td data-label="Enabled">
              {canWrite ? (
                <Switch
                  checked={flag.enabled}
                  label={`${flag.key} enabled in ${environment}`}
                  disabled={toggling === flag.key}
                  onChange={(next) => onToggle(flag, next)}
                />
              ) : (
                <Badge tone={flag.enabled ? 'success' : 'neutral'}>{flag.enabled ? 'On' : 'Off'}</Badge>
              )}
            </td>
            <td data-label="Rollout">
              <RolloutBar value={flag.rolloutPercentage} enabled={flag.enabled} />
            </td>
            <td data-label="Scheduled">
              {count > 0 ? (
                <Link to="/flags/$flagKey" params={{ flagKey: flag.key }} hash="schedules">
                  {count} pending
                </Link>
              ) : (
                <span className="muted">none</span>
              )}
            </td>
            <td data-label="Last change">
              <time dateTime={flag.updatedAt} title={formatLocal(flag.updatedAt)}>
                {formatAgo(flag.updatedAt, now)}
              </time>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
