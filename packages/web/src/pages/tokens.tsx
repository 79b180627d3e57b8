import type { CreatedToken, Role, Token } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge, ConfirmDialog, CopyButton, Empty, ErrorMessage, Field, Loading, PageHeader } from '../components/ui';
import { fieldError } from '../lib/errors';
import { idLabel, POLL_MS, useTokenNames } from '../lib/queries';
import { useSession } from '../lib/session';
import { formatAgo, formatLocal, useNow } from '../lib/time';

const ROLE_HINT: Record<Role, string> = {
  admin: 'Reads and changes everything.',
  viewer: 'Reads the admin API and this UI; changes nothing.',
  client: 'Evaluates flags in one environment (SDKs, OFREP, the live stream).',
};

export function TokensPage() {
  const { client, canWrite } = useSession();
  const names = useTokenNames();
  const now = useNow(10_000);
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: async () => (await client.listTokens()).items,
    refetchInterval: POLL_MS * 2,
  });
  const [revoking, setRevoking] = useState<Token | null>(null);
  const revoke = useMutation({
    mutationFn: (token: Token) => client.revokeToken(token.id),
    onSuccess: () => setRevoking(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const [showRevoked, setShowRevoked] = useState(false);
  const items = (tokens.data ?? []).filter((token) => showRevoked || !token.revokedAt);
  const revokedCount = (tokens.data ?? []).filter((token) => token.revokedAt).length;
  return (
    <>
      <PageHeader title="API tokens" />
      {canWrite ? <CreateToken /> : null}
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
        {tokens.isPending ? (
          <Loading label="Loading tokens…" />
        ) : tokens.isError ? (
          <ErrorMessage error={tokens.error} title="Could not load the tokens" />
        ) : items.length === 0 ? (
          <Empty>
            <p>No API tokens{revokedCount > 0 ? ' in use' : ''} yet.</p>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table responsive">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  {canWrite ? (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
        )}
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

function CreateToken() {
  const { client, environments, environment: current } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [environment, setEnvironment] = useState(current);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useMutation({
    mutationFn: () => client.createToken({ name: name.trim(), role, ...(role === 'client' ? { environment } : {}) }),
    onSuccess: (token) => {
      setCreated(token);
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  return (
    <section className="card" aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">Create a token</h2>
      <form
        className="form-row"
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <Field label="Name" error={fieldError(create.error, 'name')} className="grow">
          {(props) => (
            <input
              {...props}
              value={name}
              onChange={(event) => setName(event.target.value)}
              required
              maxLength={100}
              placeholder="e.g. checkout-service, release-bot"
            />
          )}
        </Field>
        <Field label="Role" hint={ROLE_HINT[role]} error={fieldError(create.error, 'role')}>
          {(props) => (
            <select {...props} value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <option value="viewer">viewer</option>
              <option value="admin">admin</option>
              <option value="client">client</option>
            </select>
          )}
        </Field>
        {role === 'client' ? (
          <Field label="Environment" error={fieldError(create.error, 'environment')}>
            {(props) => (
              <select {...props} value={environment} onChange={(event) => setEnvironment(event.target.value)}>
                {environments.map((item) => (
                  <option key={item.key} value={item.key}>
                    {item.key}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
      <ErrorMessage error={create.error} title="The token was not created" />
      {created ? (
        <SecretOnce
          label={`Secret for “${created.name}” (${created.role})`}
          secret={created.secret}
          onDone={() => setCreated(null)}
        />
      ) : null}
    </section>
  );
}

/** A secret the server returns once: shown with a copy button until the user dismisses it. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone(): void }) {
  return (
    <div className="notice notice-success secret" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it will not be shown again.
      </p>
      <div className="secret-row">
        <input
          className="secret-value"
          readOnly
          value={secret}
          aria-label={label}
          onFocus={(event) => event.target.select()}
          data-testid="secret"
        />
        <CopyButton value={secret} />
      </div>
      <button type="button" className="button button-small" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}
