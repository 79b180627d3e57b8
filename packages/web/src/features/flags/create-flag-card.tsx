import { type FlagType, flagTypeSchema } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { flagQueries } from '../../api/flags';
import { ErrorMessage, Field } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { useSession } from '../session/session';
import { defaultValueFor } from '../targeting/variants-editor';

/** Creates a flag: off and 0% in every environment. */
export function CreateFlagCard() {
  const { client, environment } = useSession();
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<FlagType>('boolean');
  const [created, setCreated] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      client.createFlag(
        {
          key: key.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          // Other types start with one variant to serve; the flag page edits the list.
          ...(type === 'boolean' ? {} : { type, variants: [{ key: 'default', value: defaultValueFor(type) }] }),
        },
        environment,
      ),
    onSuccess: (flag) => {
      setCreated(flag.key);
      setKey('');
      setDescription('');
      setType('boolean');
      void queryClient.invalidateQueries({ queryKey: flagQueries.all() });
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
        <Field label="Type" hint="What the flag serves." error={fieldError(create.error, 'type')}>
          {(props) => (
            <select {...props} value={type} onChange={(event) => setType(flagTypeSchema.parse(event.target.value))}>
              {flagTypeSchema.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
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
          Created{' '}
          <Link to="/flags/$flagKey" params={{ flagKey: created }}>
            {created}
          </Link>
          : off, 0% in every environment.
        </p>
      ) : null}
    </section>
  );
}
