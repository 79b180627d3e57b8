import type { FlaglineClient } from '@flagline/sdk';
import { queryOptions } from '@tanstack/react-query';

export const changeRequestQueries = {
  all: () => ['change-requests'] as const,
  pending: (client: FlaglineClient) =>
    queryOptions({
      queryKey: [...changeRequestQueries.all(), 'pending'] as const,
      queryFn: async () => (await client.listChangeRequests({ status: 'pending', limit: 200 })).items,
    }),
  recent: (client: FlaglineClient) =>
    queryOptions({
      queryKey: [...changeRequestQueries.all(), 'recent'] as const,
      // Oldest first from the API: the newest 200 decided ones are the end of the first pages; 200 is plenty here.
      queryFn: async () =>
        (await client.listChangeRequests({ limit: 200 })).items.filter((r) => r.status !== 'pending'),
    }),
};
