import { queryOptions } from '@tanstack/react-query';
import { createClient } from './client';
import type { ApiScope } from './scope';

/**
 * The signed-in principal and the environments. The live stream refreshes every other query on a change, but not
 * these two (lib/live.ts skips the keys 'me' and 'environments').
 */
export const sessionQueries = {
  me: (token: string) =>
    queryOptions({
      queryKey: ['me', token] as const,
      queryFn: () => createClient(token).me(),
      staleTime: 5 * 60_000,
    }),
  /** Every `me` query, whatever the token (a 401 anywhere re-checks the session). */
  allMe: () => ['me'] as const,
  environments: ({ client }: Pick<ApiScope, 'client'>) =>
    queryOptions({
      queryKey: ['environments'] as const,
      queryFn: async () => (await client.listEnvironments()).items,
      staleTime: 60_000,
    }),
};
