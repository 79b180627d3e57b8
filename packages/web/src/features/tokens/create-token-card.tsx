import { type CreatedToken, isEnvironmentRole, type Role } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { tokenQueries } from '../../api/tokens';
import { SecretOnce } from '../../components/secret-once';
import { ErrorMessage, Field } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { useSession } from '../session/session';

const ROLE_HINT: Record<Role, string> = {
  admin: 'Reads and changes everything.',
  viewer: 'Reads the admin API and this UI; changes nothing.',
  client: 'The older name of server.',
  server: 'Backends: evaluates flags in one environment (SDKs, the ruleset and its live stream, OFREP).',
  frontend: 'Browsers and mobile apps: evaluated values only (OFREP), from the allowed origins.',
};

/** Creates a token and shows its secret once. */
export function CreateTokenCard() {
  const { client, environments, environment: current } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [environment, setEnvironment] = useState(current);
  const [origins, setOrigins] = useState('');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const create = useMutation({
    mutationFn: () =>
      client.createToken({
        name: name.trim(),
        role,
        ...(isEnvironmentRole(role) ? { environment } : {}),
        ...(role === 'frontend' ? { allowedOrigins: origins.split(/[\s,]+/).filter(Boolean) } : {}),
      }),
    onSuccess: (token) => {
      setCreated(token);
      setName('');
      void queryClient.invalidateQueries({ queryKey: tokenQueries.all() });
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
              <option value="server">server</option>
              <option value="frontend">frontend</option>
            </select>
          )}
        </Field>
        {role === 'frontend' ? (
          <Field label="Allowed origins" error={fieldError(create.error, 'allowedOrigins')}>
            {(props) => (
              <input
                {...props}
                value={origins}
                onChange={(event) => setOrigins(event.target.value)}
                required
                placeholder="https://app.example.com, or *"
              />
            )}
          </Field>
        ) : null}
        {isEnvironmentRole(role) ? (
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
