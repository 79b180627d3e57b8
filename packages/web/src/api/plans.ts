import { type Conflict, type CreatePlanBody, conflictSchema, type OnConflict } from '@flagline/core';
import { FlaglineApiError } from '@flagline/sdk';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { answered } from './answered';
import { type ApiScope, POLL_MS } from './scope';

/** Rollout plans, through the client's typed OpenAPI paths (`client.api`). */

const planPath = (flagKey: string, planId: string) => ({ params: { path: { flagKey, planId } } });

export const planApi = {
  /** `onConflict: 'reject'` answers 409 SCHEDULE_CONFLICT (see conflictsOf) instead of creating a conflicting plan. */
  create: ({ client, environment }: ApiScope, flagKey: string, body: CreatePlanBody, onConflict?: OnConflict) =>
    answered(
      client.api.POST('/api/admin/flags/{flagKey}/plans', {
        params: { path: { flagKey }, query: { environment, ...(onConflict ? { onConflict } : {}) } },
        body,
      }),
    ),
  pause: ({ client }: ApiScope, flagKey: string, planId: string) =>
    answered(client.api.POST('/api/admin/flags/{flagKey}/plans/{planId}/pause', planPath(flagKey, planId))),
  resume: ({ client }: ApiScope, flagKey: string, planId: string) =>
    answered(client.api.POST('/api/admin/flags/{flagKey}/plans/{planId}/resume', planPath(flagKey, planId))),
  cancel: ({ client }: ApiScope, flagKey: string, planId: string) =>
    answered(client.api.DELETE('/api/admin/flags/{flagKey}/plans/{planId}', planPath(flagKey, planId))),
};

export const planQueries = {
  all: () => ['plans'] as const,
  forFlag: (scope: ApiScope, flagKey: string) =>
    queryOptions({
      queryKey: [...planQueries.all(), scope.environment, flagKey] as const,
      queryFn: () =>
        answered(
          scope.client.api.GET('/api/admin/flags/{flagKey}/plans', {
            params: { path: { flagKey }, query: { environment: scope.environment } },
          }),
        ),
      refetchInterval: POLL_MS,
    }),
};

const conflictListSchema = z.array(conflictSchema);

/** The pending schedules a 409 SCHEDULE_CONFLICT names; undefined for any other error. */
export function conflictsOf(error: unknown): Conflict[] | undefined {
  if (!(error instanceof FlaglineApiError) || error.code !== 'SCHEDULE_CONFLICT') return undefined;
  const parsed = conflictListSchema.safeParse(error.details?.conflicts);
  return parsed.success ? parsed.data : [];
}
