import type { FlaglineClient } from '@flagline/sdk';
import { queryOptions } from '@tanstack/react-query';
import { POLL_MS } from './scope';

export const webhookQueries = {
  all: () => ['webhooks'] as const,
  list: (client: FlaglineClient) =>
    queryOptions({
      queryKey: webhookQueries.all(),
      queryFn: async () => (await client.listWebhooks()).items,
      refetchInterval: POLL_MS,
    }),
  /** The latest 20 deliveries of one endpoint. */
  deliveries: (client: FlaglineClient, webhookId: string) =>
    queryOptions({
      queryKey: [...webhookQueries.all(), webhookId, 'deliveries'] as const,
      queryFn: async () => (await client.listWebhookDeliveries(webhookId, 20)).items,
      refetchInterval: POLL_MS,
    }),
};
