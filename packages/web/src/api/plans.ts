import { type Conflict, conflictSchema } from '@flagline/core';
import { FlaglineApiError } from '@flagline/sdk';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { type ApiScope, POLL_MS } from './scope';

export const planQueries = {
  all: () => ['plans'] as const,
  forFlag: ({ client, environment }: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...planQueries.all(), environment, flagKey] as const,
      queryFn: () => client.listPlans(flagKey, { environment }),
      refetchInterval: POLL_MS,
    }),
};

const conflictListSchema = z.array(conflictSchema);

/**
 * The pending schedules a 409 SCHEDULE_CONFLICT names (a write sent with onConflict=reject); undefined for any other
 * error.
 */
export function conflictsOf(error: unknown): Conflict[] | undefined {
  if (!(error instanceof FlaglineApiError) || error.code !== 'SCHEDULE_CONFLICT') return undefined;
  const parsed = conflictListSchema.safeParse(error.details?.conflicts);
  return parsed.success ? parsed.data : [];
}
