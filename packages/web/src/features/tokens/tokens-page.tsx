import type { Token } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { POLL_MS } from '../../api/scope';
import { tokenQueries } from '../../api/tokens';
import { DataTable } from '../../components/data-table';
import { QueryState } from '../../components/query-state';
import { Badge, ConfirmDialog, Empty, PageHeader } from '../../components/ui';
import { idLabel, useTokenNames } from '../../lib/actors';
import { formatAgo, formatLocal, useNow } from '../../lib/time';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { CreateTokenCard } from './create-token-card';

export function TokensPage() {
  const { client, canWrite } = useSession();
  useDocumentTitle('Tokens');
  const names = useTokenNames();
  const now = useNow(10_000);
  const queryClient = useQueryClient();
  const tokens = useQuery({ ...tokenQueries.list(client), refetchInterval: POLL_MS * 2 });
  const [revoking, setRevoking] = useState<Token | null>(null);
  const revoke = useMutation({
    mutationFn: (token: Token) => client.revokeToken(token.id),
    onSuccess: () => setRevoking(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: tokenQueries.all() }),
  });
  const [showRevoked, setShowRevoked] = useState(false);
  const items = (tokens.data ?? []).filter((token) => showRevoked || !token.revokedAt);
  const revokedCount = (tokens.data ?? []).filter((token) => token.revokedAt).length;
  return (
    <>
      <PageHeader title="API tokens" />
      {canWrite ? <CreateTokenCard /> : null}
      <section className="card" aria-labelledby="tokens-heading">
        <div className="card-header">
          <h2 id="tokens-heading">Tokens</h2>
          {revokedCount > 0 ? (
            <label className="checkbox">
              <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked(event.target.checked)} />{' '}
              Show {revokedCount} revoked
            </label>
          ) : null}
        </div>
        <p className="muted small">
          Secrets are stored only as hashes: a lost secret cannot be shown again; create a new token and revoke the old
          one.
        </p>
        <QueryState
          query={tokens}
          loading="Loading tokens…"
          errorTitle="Could not load the tokens"
          isEmpty={() => items.length === 0}
          empty={
            <Empty>
              <p>No API tokens{revokedCount > 0 ? ' in use' : ''} yet.</p>
            </Empty>
          }
        >
          {() => (
            <DataTable columns={['Name', 'Role', 'Created', 'Last used']} actions={canWrite}>
              {items.map((token) => (
                <tr key={token.id} data-token={token.name}>
                  <td data-label="Name">
                    <strong>{token.name}</strong>
                    <div className="muted small">
                      <code>{token.id}</code>
                    </div>
                  </td>
                  <td data-label="Role">
                    <Badge tone={token.role === 'admin' ? 'info' : 'neutral'}>{token.role}</Badge>
                    {token.environment ? <span className="muted"> · {token.environment}</span> : null}
                    {token.revokedAt ? (
                      <>
                        {' '}
                        <Badge tone="danger">revoked</Badge>
                      </>
                    ) : null}
                  </td>
                  <td data-label="Created">
                    {formatLocal(token.createdAt)}
                    <div className="muted small">by {idLabel(token.createdBy, names)}</div>
                  </td>
                  <td data-label="Last used">
                    {token.lastUsedAt ? formatAgo(token.lastUsedAt, now) : <span className="muted">never</span>}
                  </td>
                  {canWrite ? (
                    <td data-label="Actions">
                      {token.revokedAt ? null : (
                        <button
                          type="button"
                          className="button button-small button-danger-outline"
                          aria-label={`Revoke ${token.name}`}
                          onClick={() => {
                            revoke.reset();
                            setRevoking(token);
                          }}
                        >
                          Revoke…
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </DataTable>
          )}
        </QueryState>
      </section>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke token"
        tone="danger"
        busy={revoke.isPending}
        error={revoke.error}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      >
        <p>Anything using it stops working at once, on every server instance. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}
