import type { AuditFilter } from '@flagline/core';
import type { FlaglineClient } from '@flagline/sdk';
import { infiniteQueryOptions, keepPreviousData, queryOptions } from '@tanstack/react-query';
import { POLL_MS } from './scope';

/** A filter as part of a key: equal filters give equal keys whatever their field order. */
const filterKey = (filter: AuditFilter) => JSON.stringify(filter);

export const auditQueries = {
  all: () => ['audit'] as const,
  /** Newest first, 50 at a time. */
  list: (client: FlaglineClient, filter: AuditFilter) =>
    infiniteQueryOptions({
      queryKey: [...auditQueries.all(), 'list', filterKey(filter)] as const,
      queryFn: ({ pageParam }) =>
        client.listAudit({ ...filter, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) }),
      initialPageParam: '',
      getNextPageParam: (last) => last.nextCursor ?? undefined,
    }),
  /** The newest matching event, polled cheaply: when it changes the loaded pages are refetched. */
  head: (client: FlaglineClient, filter: AuditFilter) =>
    queryOptions({
      queryKey: [...auditQueries.all(), 'head', filterKey(filter)] as const,
      queryFn: () => client.listAudit({ ...filter, limit: 1 }),
      refetchInterval: POLL_MS,
    }),
  /** The hash chain, checked again whenever a newer event appears. */
  verify: (client: FlaglineClient, newestId: string) =>
    queryOptions({
      queryKey: [...auditQueries.all(), 'verify', newestId] as const,
      queryFn: () => client.verifyAudit(),
      placeholderData: keepPreviousData,
    }),
};
