import type { AuditEventType, CreatedWebhook, Webhook } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge, ConfirmDialog, Empty, ErrorMessage, Field, Loading, PageHeader } from '../components/ui';
import { AUDIT_EVENT_TYPES } from '../lib/audit-types';
import { fieldError } from '../lib/errors';
import { idLabel, POLL_MS, useTokenNames } from '../lib/queries';
import { useSession } from '../lib/session';
import { formatAgo, formatLocal, formatRelative, useNow } from '../lib/time';
import { SecretOnce } from './tokens';

export function WebhooksPage() {
  const { client, canWrite } = useSession();
  const names = useTokenNames();
  const now = useNow(5000);
  const queryClient = useQueryClient();
  const webhooks = useQuery({
    queryKey: ['webhooks'],
    queryFn: async () => (await client.listWebhooks()).items,
    refetchInterval: POLL_MS,
  });
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const remove = useMutation({
    mutationFn: (webhook: Webhook) => client.deleteWebhook(webhook.id),
    onSuccess: () => setDeleting(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  return (
    <>
      <PageHeader title="Webhooks" />
      {canWrite ? <CreateWebhook /> : null}
      <section className="card" aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Endpoints</h2>
        <p className="muted small">
          Each audit event is delivered as a signed POST (HMAC-SHA256 with the endpoint’s secret), retried with backoff
          until it is accepted.
        </p>
        {webhooks.isPending ? (
          <Loading label="Loading webhooks…" />
        ) : webhooks.isError ? (
          <ErrorMessage error={webhooks.error} title="Could not load the webhooks" />
        ) : webhooks.data.length === 0 ? (
          <Empty>
            <p>No webhooks: audit events are not sent anywhere yet.</p>
          </Empty>
        ) : (
          <ul className="webhooks">
            {webhooks.data.map((webhook) => (
              <li key={webhook.id} className="subcard">
                <div className="webhook-head">
                  <code className="webhook-url">{webhook.url}</code>
                  {canWrite ? (
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-label={`Delete the webhook to ${webhook.url}`}
                      onClick={() => {
                        remove.reset();
                        setDeleting(webhook);
                      }}
                    >
                      Delete…
                    </button>
                  ) : null}
                </div>
                {webhook.description ? <p>{webhook.description}</p> : null}
                <p className="small muted">
                  {webhook.eventTypes ? `Events: ${webhook.eventTypes.join(', ')}` : 'Every event type'} · created{' '}
                  {formatLocal(webhook.createdAt)} by {idLabel(webhook.createdBy, names)}
                </p>
                <p className="delivery-stats">
                  <Badge tone="success">{webhook.deliveries.delivered} delivered</Badge>{' '}
                  <Badge tone={webhook.deliveries.pending > 0 ? 'warning' : 'neutral'}>
                    {webhook.deliveries.pending} pending
                  </Badge>{' '}
                  <Badge tone={webhook.deliveries.failed > 0 ? 'danger' : 'neutral'}>
                    {webhook.deliveries.failed} failed
                  </Badge>{' '}
                  <span className="small muted">
                    {webhook.deliveries.lastDeliveredAt
                      ? `last delivered ${formatAgo(webhook.deliveries.lastDeliveredAt, now)}`
                      : 'nothing delivered yet'}
                  </span>
                </p>
                {webhook.deliveries.lastError ? (
                  <p className="small error-text">Last error: {webhook.deliveries.lastError}</p>
                ) : null}
                <Deliveries webhookId={webhook.id} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this webhook?"
        confirmLabel="Delete webhook"
        tone="danger"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting)}
      >
        <p>
          <code>{deleting?.url}</code> stops receiving events; pending deliveries are dropped.
        </p>
      </ConfirmDialog>
    </>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const { client } = useSession();
  const [open, setOpen] = useState(false);
  const now = useNow(5000);
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', webhookId],
    queryFn: async () => (await client.listWebhookDeliveries(webhookId, 20)).items,
    enabled: open,
    refetchInterval: open ? POLL_MS : false,
  });
  return (
    <details onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}>
      <summary>Recent deliveries</summary>
      {!open ? null : deliveries.isPending ? (
        <Loading label="Loading deliveries…" />
      ) : deliveries.isError ? (
        <ErrorMessage error={deliveries.error} title="Could not load deliveries" />
      ) : deliveries.data.length === 0 ? (
        <p className="muted small">No deliveries yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((delivery) => (
                <tr key={delivery.id}>
                  <td>#{delivery.eventId}</td>
                  <td>
                    <Badge
                      tone={
                        delivery.status === 'delivered'
                          ? 'success'
                          : delivery.status === 'failed'
                            ? 'danger'
                            : 'warning'
                      }
                    >
                      {delivery.status}
                    </Badge>
                  </td>
                  <td>{delivery.attempts}</td>
                  <td className="small">
                    {delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}. ` : ''}
                    {delivery.lastError ?? ''}
                    {delivery.status === 'pending' && delivery.nextAttemptAt
                      ? ` Next attempt ${formatRelative(delivery.nextAttemptAt, now)}.`
                      : ''}
                    {delivery.deliveredAt ? ` Delivered ${formatAgo(delivery.deliveredAt, now)}.` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

function CreateWebhook() {
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
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
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
