import type { AuditEventType, CreatedWebhook } from '@flagline/core';
import { auditEventTypes as AUDIT_EVENT_TYPES } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { webhookQueries } from '../../api/webhooks';
import { SecretOnce } from '../../components/secret-once';
import { ErrorMessage, Field } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { useSession } from '../session/session';

/** Adds an endpoint and shows its signing secret once. */
export function CreateWebhookCard() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<AuditEventType[]>([]);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const create = useMutation({
    mutationFn: () =>
      client.createWebhook({
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(types.length > 0 ? { eventTypes: types } : {}),
      }),
    onSuccess: (webhook) => {
      setCreated(webhook);
      setUrl('');
      setDescription('');
      setTypes([]);
      void queryClient.invalidateQueries({ queryKey: webhookQueries.all() });
    },
  });
  return (
    <section className="card" aria-labelledby="create-webhook-heading">
      <h2 id="create-webhook-heading">Add a webhook</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <div className="form-row">
          <Field label="URL" error={fieldError(create.error, 'url')} className="grow">
            {(props) => (
              <input
                {...props}
                type="url"
                value={url}
                onChange={(event) => setUrl(event.target.value)}
                required
                placeholder="https://example.com/hooks/flagline"
              />
            )}
          </Field>
          <Field label="Description (optional)" error={fieldError(create.error, 'description')} className="grow">
            {(props) => (
              <input
                {...props}
                value={description}
                maxLength={500}
                onChange={(event) => setDescription(event.target.value)}
              />
            )}
          </Field>
        </div>
        <fieldset className="event-types">
          <legend>Event types (none ticked: every type)</legend>
          {AUDIT_EVENT_TYPES.map((type) => (
            <label key={type} className="checkbox">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={(event) =>
                  setTypes((previous) =>
                    event.target.checked ? [...previous, type] : previous.filter((item) => item !== type),
                  )
                }
              />{' '}
              {type}
            </label>
          ))}
        </fieldset>
        <ErrorMessage error={create.error} title="The webhook was not created" />
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add webhook'}
        </button>
      </form>
      {created ? (
        <SecretOnce
          label={`Signing secret for ${created.url}`}
          secret={created.secret}
          onDone={() => setCreated(null)}
        />
      ) : null}
    </section>
  );
}
