import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { ApiScope } from './scope';

export const OVERRIDE_PAGE_SIZE = 10;

export const overrideQueries = {
  forFlag: ({ environment }: Pick<ApiScope, 'environment'>, flagKey: string) =>
    ['overrides', environment, flagKey] as const,
  page: (scope: ApiScope, flagKey: string, page: number) =>
    queryOptions({
      queryKey: [...overrideQueries.forFlag(scope, flagKey), page] as const,
      queryFn: () =>
        scope.client.listOverrides(flagKey, { environment: scope.environment, page, pageSize: OVERRIDE_PAGE_SIZE }),
      placeholderData: keepPreviousData,
    }),
};
