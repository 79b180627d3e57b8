import type { FlagView } from '@flagline/core';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Badge, ConfirmDialog, Empty, ErrorMessage, Field, Loading, PageHeader, Switch } from '../components/ui';
import { fieldError } from '../lib/errors';
import { usePendingSchedules } from '../lib/queries';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import { formatAgo, formatLocal, useNow } from '../lib/time';

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function FlagsPage() {
  const { client, environment, canWrite } = useSession();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const now = useNow(5000);
  const flags = useInfiniteQuery({
    queryKey: ['flags', environment, q],
    queryFn: ({ pageParam }) =>
      client.listFlags({ environment, limit: 100, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const pending = usePendingSchedules();
  const pendingByFlag = useMemo(() => {
    const counts = new Map<string, number>();
    for (const schedule of pending.data ?? []) counts.set(schedule.flagKey, (counts.get(schedule.flagKey) ?? 0) + 1);
    return counts;
  }, [pending.data]);
  const items = flags.data?.pages.flatMap((page) => page.items) ?? [];
  const [confirm, setConfirm] = useState<{ flag: FlagView; next: boolean } | null>(null);
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: ({ flag, next }: { flag: FlagView; next: boolean }) =>
      client.updateFlag(flag.key, { enabled: next }, { environment, ifMatch: flag.version }),
    onSuccess: () => setConfirm(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['flags', environment] }),
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
          in <Badge tone={environment === 'production' ? 'danger' : 'info'}>{environment}</Badge>
        </span>
      </PageHeader>
      {canWrite ? <CreateFlag /> : null}
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
        {flags.isPending ? (
          <Loading label="Loading flags…" />
        ) : flags.isError ? (
          <ErrorMessage error={flags.error} title="Could not load the flags" />
        ) : items.length === 0 ? (
          <Empty>
            {q ? <p>No flag matches “{q}”.</p> : <p>No flags yet.{canWrite ? ' Create the first one above.' : ''}</p>}
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <thead>
                <tr>
                  <th scope="col">Flag</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Rollout</th>
                  <th scope="col">Pending schedules</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {items.map((flag) => {
                  const count = pendingByFlag.get(flag.key) ?? 0;
                  return (
                    <tr key={flag.key} data-flag={flag.key}>
                      <td data-label="Flag">
                        <Link to={`/flags/${encodeURIComponent(flag.key)}`} className="flag-key">
                          {flag.key}
                        </Link>
                        {flag.description ? <div className="muted small">{flag.description}</div> : null}
                      </td>
                      <td data-label="Enabled">
                        {canWrite ? (
                          <Switch
                            checked={flag.enabled}
                            label={`${flag.key} enabled in ${environment}`}
                            disabled={toggle.isPending && toggle.variables?.flag.key === flag.key}
                            onChange={(next) => requestToggle(flag, next)}
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
                          <Link to={`/flags/${encodeURIComponent(flag.key)}#schedules`}>{count} pending</Link>
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
              </tbody>
            </table>
          </div>
        )}
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

export function RolloutBar({ value, enabled }: { value: number; enabled: boolean }) {
  return (
    <span className="rollout">
      <span className="rollout-bar" aria-hidden="true">
        <span className={`rollout-fill ${enabled ? '' : 'rollout-off'}`} style={{ width: `${value}%` }} />
      </span>
      <span className="rollout-value">{value}%</span>
    </span>
  );
}

function CreateFlag() {
  const { client, environment } = useSession();
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      client.createFlag(
        { key: key.trim(), ...(description.trim() ? { description: description.trim() } : {}) },
        environment,
      ),
    onSuccess: (flag) => {
      setCreated(flag.key);
      setKey('');
      setDescription('');
      void queryClient.invalidateQueries({ queryKey: ['flags'] });
    },
  });
  return (
    <section className="card" aria-labelledby="create-flag-heading">
      <h2 id="create-flag-heading">Create a flag</h2>
      <form
        className="form-row"
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <Field label="Key" hint="Lowercase letters, digits, “.”, “_” and “-”." error={fieldError(create.error, 'key')}>
          {(props) => (
            <input
              {...props}
              value={key}
              onChange={(event) => setKey(event.target.value)}
              required
              maxLength={100}
              autoCapitalize="off"
              spellCheck={false}
              placeholder="new-checkout"
            />
          )}
        </Field>
        <Field label="Description (optional)" error={fieldError(create.error, 'description')} className="grow">
          {(props) => (
            <input
              {...props}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
              maxLength={1000}
            />
          )}
        </Field>
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create flag'}
          </button>
        </div>
      </form>
      <ErrorMessage error={create.error} title="The flag was not created" />
      {created ? (
        <p className="notice notice-success" role="status">
          Created <Link to={`/flags/${encodeURIComponent(created)}`}>{created}</Link>: off, 0% in every environment.
        </p>
      ) : null}
    </section>
  );
}
