import type { FlagHistoryQuery } from '@flagline/core';
import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import type { ApiScope } from './scope';

/** Events of the flag's history drawn on its timeline: the newest 500 (the timeline starts from a cut trail's state). */
const HISTORY_LIMIT = 500;

export const flagQueries = {
  all: () => ['flags'] as const,
  inEnvironment: ({ environment }: Pick<ApiScope, 'environment'>) => [...flagQueries.all(), environment] as const,
  list: (scope: ApiScope, q: string) =>
    infiniteQueryOptions({
      queryKey: [...flagQueries.inEnvironment(scope), 'list', q] as const,
      queryFn: ({ pageParam }) =>
        scope.client.listFlags({
          environment: scope.environment,
          limit: 100,
          ...(q ? { q } : {}),
          ...(pageParam ? { cursor: pageParam } : {}),
        }),
      initialPageParam: '',
      getNextPageParam: (last) => last.nextCursor ?? undefined,
    }),
  detail: (scope: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...flagQueries.inEnvironment(scope), 'detail', flagKey] as const,
      queryFn: () => scope.client.getFlag(flagKey, scope.environment),
    }),
  history: (scope: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...flagQueries.inEnvironment(scope), 'history', flagKey] as const,
      queryFn: async () => {
        const query = { environment: scope.environment, limit: HISTORY_LIMIT } satisfies FlagHistoryQuery;
        const page = await scope.client.flagHistory(flagKey, query);
        return page.items;
      },
    }),
};
