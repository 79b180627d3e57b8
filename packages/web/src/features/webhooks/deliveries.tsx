import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { webhookQueries } from '../../api/webhooks';
import { QueryState } from '../../components/query-state';
import { Badge } from '../../components/ui';
import { formatAgo, formatRelative, useNow } from '../../lib/time';
import { useSession } from '../session/session';

/** An endpoint's latest deliveries, read (and polled) only while the section is open. */
export function Deliveries({ webhookId }: { webhookId: string }) {
  const { client } = useSession();
  const [open, setOpen] = useState(false);
  const now = useNow(5000);
  const deliveries = useQuery({ ...webhookQueries.deliveries(client, webhookId), enabled: open });
  return (
    <details onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}>
      <summary>Recent deliveries</summary>
      {open ? (
        <QueryState
          query={deliveries}
          loading="Loading deliveries…"
          errorTitle="Could not load deliveries"
          isEmpty={(items) => items.length === 0}
          empty={<p className="muted small">No deliveries yet.</p>}
        >
          {(items) => (
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
                  {items.map((delivery) => (
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
        </QueryState>
      ) : null}
    </details>
  );
}
