import type { FlaglineClient } from '@flagline/sdk';
import { queryOptions } from '@tanstack/react-query';

export const tokenQueries = {
  all: () => ['tokens'] as const,
  list: (client: FlaglineClient) =>
    queryOptions({
      queryKey: tokenQueries.all(),
      queryFn: async () => (await client.listTokens()).items,
      staleTime: 10_000,
    }),
};
