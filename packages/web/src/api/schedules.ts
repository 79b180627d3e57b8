import type { RecurrencePreviewBody, Schedule } from '@flagline/core';
import { queryOptions } from '@tanstack/react-query';
import { type ApiScope, POLL_MS } from './scope';

/** Pages of pending schedules followed at most; beyond 2,000 pending changes a dashboard would need filters anyway. */
const PENDING_PAGES = 4;

export const scheduleQueries = {
  all: () => ['schedules'] as const,
  /** The next occurrences of a recurrence not yet created; computed from now, so kept fresh for a minute at most. */
  preview: ({ client }: ApiScope, body: RecurrencePreviewBody) =>
    queryOptions({
      queryKey: [...scheduleQueries.all(), 'preview', body] as const,
      queryFn: () => client.previewRecurrence(body),
      staleTime: 60_000,
      // A 400 names the field at fault; asking again cannot change the answer.
      retry: false,
    }),
  forFlag: (scope: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...scheduleQueries.all(), scope.environment, 'flag', flagKey] as const,
      queryFn: () => scope.client.listFlagSchedules(flagKey, { environment: scope.environment }),
      refetchInterval: POLL_MS,
    }),
  /** Pending schedules across flags in the environment, soonest first (the API's order). */
  pending: ({ client, environment }: ApiScope) =>
    queryOptions({
      queryKey: [...scheduleQueries.all(), environment, 'pending'] as const,
      queryFn: async () => {
        const items: Schedule[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < PENDING_PAGES; page += 1) {
          const result = await client.listSchedules({
            status: 'pending',
            environment,
            limit: 500,
            ...(cursor ? { cursor } : {}),
          });
          items.push(...result.items);
          if (!result.nextCursor) break;
          cursor = result.nextCursor;
        }
        return items;
      },
      refetchInterval: POLL_MS,
    }),
};
