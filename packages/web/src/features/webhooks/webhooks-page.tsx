import type { Webhook } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { webhookQueries } from '../../api/webhooks';
import { QueryState } from '../../components/query-state';
import { Badge, ConfirmDialog, Empty, PageHeader } from '../../components/ui';
import { idLabel, useTokenNames } from '../../lib/actors';
import { formatAgo, formatLocal, useNow } from '../../lib/time';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { CreateWebhookCard } from './create-webhook-card';
import { Deliveries } from './deliveries';

export function WebhooksPage() {
  const { client, canWrite } = useSession();
  useDocumentTitle('Webhooks');
  const names = useTokenNames();
  const now = useNow(5000);
  const queryClient = useQueryClient();
  const webhooks = useQuery(webhookQueries.list(client));
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const remove = useMutation({
    mutationFn: (webhook: Webhook) => client.deleteWebhook(webhook.id),
    onSuccess: () => setDeleting(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: webhookQueries.all() }),
  });
  return (
    <>
      <PageHeader title="Webhooks" />
      {canWrite ? <CreateWebhookCard /> : null}
      <section className="card" aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Endpoints</h2>
        <p className="muted small">
          Each audit event is delivered as a signed POST (HMAC-SHA256 with the endpoint’s secret), retried with backoff
          until it is accepted.
        </p>
        <QueryState
          query={webhooks}
          loading="Loading webhooks…"
          errorTitle="Could not load the webhooks"
          isEmpty={(items) => items.length === 0}
          empty={
            <Empty>
              <p>No webhooks: audit events are not sent anywhere yet.</p>
            </Empty>
          }
        >
          {(items) => (
            <ul className="webhooks">
              {items.map((webhook) => (
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
        </QueryState>
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
