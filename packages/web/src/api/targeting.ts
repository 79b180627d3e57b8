import { queryOptions } from '@tanstack/react-query';
import type { ApiScope } from './scope';

export const targetingQueries = {
  all: () => ['targeting'] as const,
  forFlag: (scope: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...targetingQueries.all(), scope.environment, flagKey] as const,
      queryFn: () => scope.client.getTargeting(flagKey, scope.environment),
    }),
};

export const segmentQueries = {
  all: () => ['segments'] as const,
  list: (scope: Pick<ApiScope, 'client'>) =>
    queryOptions({
      queryKey: [...segmentQueries.all(), 'list'] as const,
      queryFn: async () => (await scope.client.listSegments()).items,
    }),
  detail: (scope: Pick<ApiScope, 'client'>, segmentKey: string) =>
    queryOptions({
      queryKey: [...segmentQueries.all(), 'detail', segmentKey] as const,
      queryFn: () => scope.client.getSegment(segmentKey),
    }),
};
