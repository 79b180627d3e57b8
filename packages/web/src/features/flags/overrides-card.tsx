import type { Override } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { OVERRIDE_PAGE_SIZE, overrideQueries } from '../../api/overrides';
import { DataTable } from '../../components/data-table';
import { QueryState } from '../../components/query-state';
import { Badge, ConfirmDialog, Empty } from '../../components/ui';
import { idLabel, useTokenNames } from '../../lib/actors';
import { formatAgo, useNow } from '../../lib/time';
import { useSession } from '../session/session';
import { AddOverrideForm } from './add-override-form';

/** Users who always (include) or never (exclude) get the flag in this environment, ten a page. */
export function OverridesCard({ flagKey }: { flagKey: string }) {
  const session = useSession();
  const { client, environment, canWrite } = session;
  const names = useTokenNames();
  const now = useNow(5000);
  const [page, setPage] = useState(1);
  const queryClient = useQueryClient();
  const overrides = useQuery(overrideQueries.page(session, flagKey, page));
  const [removing, setRemoving] = useState<Override | null>(null);
  const remove = useMutation({
    mutationFn: (override: Override) => client.removeOverride(flagKey, override.userId, environment),
    onSuccess: () => setRemoving(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: overrideQueries.forFlag(session, flagKey) }),
  });
  const total = overrides.data?.pagination.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / OVERRIDE_PAGE_SIZE));
  useEffect(() => {
    if (page > pages) setPage(pages);
  }, [page, pages]);
  const rows = overrides.data ? [...overrides.data.includes, ...overrides.data.excludes] : [];
  return (
    <section className="card" id="overrides" aria-labelledby="overrides-heading">
      <h2 id="overrides-heading">User overrides in {environment}</h2>
      <p className="muted small">
        Include serves the flag to a user whatever the rollout; exclude never serves it. Turning the flag off beats
        both.
      </p>
      {canWrite ? <AddOverrideForm flagKey={flagKey} /> : null}
      <QueryState
        query={overrides}
        loading="Loading overrides…"
        errorTitle="Could not load the overrides"
        isEmpty={() => rows.length === 0}
        empty={
          <Empty>
            <p>No overrides: every user gets the rollout.</p>
          </Empty>
        }
      >
        {() => (
          <DataTable columns={['User', 'Type', 'Reason', 'Set by']} actions={canWrite}>
            {rows.map((override) => (
              <tr key={override.userId} data-user={override.userId}>
                <td data-label="User">
                  <code>{override.userId}</code>
                </td>
                <td data-label="Type">
                  <Badge tone={override.overrideType === 'include' ? 'success' : 'warning'}>
                    {override.overrideType}
                  </Badge>
                </td>
                <td data-label="Reason">{override.reason || <span className="muted">—</span>}</td>
                <td data-label="Set by">
                  {idLabel(override.createdBy, names)}
                  <div className="muted small">{formatAgo(override.updatedAt, now)}</div>
                </td>
                {canWrite ? (
                  <td data-label="Actions">
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-label={`Remove the override for ${override.userId}`}
                      onClick={() => {
                        remove.reset();
                        setRemoving(override);
                      }}
                    >
                      Remove…
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      {total > OVERRIDE_PAGE_SIZE ? (
        <nav className="pagination" aria-label="Override pages">
          <button type="button" className="button button-small" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages} ({total} overrides)
          </span>
          <button
            type="button"
            className="button button-small"
            disabled={page >= pages}
            onClick={() => setPage(page + 1)}
          >
            Next
          </button>
        </nav>
      ) : total > 0 ? (
        <p className="muted small">
          {total} override{total === 1 ? '' : 's'}
        </p>
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove the override for “${removing?.userId ?? ''}”?`}
        confirmLabel="Remove override"
        tone="danger"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => {
          setRemoving(null);
          remove.reset();
        }}
        onConfirm={() => removing && remove.mutate(removing)}
      >
        <p>The user goes back to the rollout in {environment}.</p>
      </ConfirmDialog>
    </section>
  );
}
