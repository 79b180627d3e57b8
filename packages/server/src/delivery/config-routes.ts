import { environmentKeySchema, evaluatedFlagsSchema, publicFlagSchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonContent, notFoundError } from '../http/router';
import { respond } from './evaluation-http';
import { evaluateFlagsResponse, publicFlagResponse } from './evaluation-responses';

const tags = ['Evaluation'];

/** The query of GET /api/config/flags; the fast path validates with it too. */
export const evaluateFlagsQuery = z.object({
  userId: z.string().max(255).optional(),
  environment: environmentKeySchema.optional(),
});

const evaluateAllRoute = createRoute({
  method: 'get',
  path: '/flags',
  operationId: 'evaluateFlags',
  tags,
  summary: 'Evaluate every flag for a user',
  description: 'Served from the in-memory snapshot. Without userId, partial rollouts are off (design §4).',
  security: bearerSecurity,
  request: {
    query: evaluateFlagsQuery,
  },
  responses: { 200: jsonContent(evaluatedFlagsSchema, '{ flagKey: boolean }'), ...commonErrors, ...notFoundError },
});

const flagRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}',
  operationId: 'getPublicFlag',
  tags,
  summary: "A flag's public configuration",
  security: bearerSecurity,
  request: {
    params: z.object({ flagKey: z.string() }),
    query: z.object({ environment: environmentKeySchema.optional() }),
  },
  responses: { 200: jsonContent(publicFlagSchema, 'The flag.'), ...commonErrors, ...notFoundError },
});

export function configRoutes(deps: AppDeps) {
  return createRouter()
    .openapi(evaluateAllRoute, (c) =>
      respond<typeof evaluateAllRoute>(
        c,
        evaluateFlagsResponse(c.get('principal'), c.req.valid('query'), deps.snapshot.current),
      ),
    )
    .openapi(flagRoute, (c) =>
      respond<typeof flagRoute>(
        c,
        publicFlagResponse(
          c.get('principal'),
          { ...c.req.valid('query'), ...c.req.valid('param') },
          deps.snapshot.current,
        ),
      ),
    );
}
