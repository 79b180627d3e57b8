import { environmentKeySchema, evaluatedFlagsSchema, publicFlagSchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, resolveEnvironment } from '../http/deps';
import { bearerSecurity, commonErrors, createRouter, jsonContent, notFoundError } from '../http/router';
import { AppError, notFound } from '../shared/errors';
import { evaluations } from '../shared/metrics';
import type { EnvironmentSnapshot } from './snapshot';

const tags = ['Evaluation'];

const evaluateAllRoute = createRoute({
  method: 'get',
  path: '/flags',
  operationId: 'evaluateFlags',
  tags,
  summary: 'Evaluate every flag for a user',
  description: 'Served from the in-memory snapshot. Without userId, partial rollouts are off (design §4).',
  security: bearerSecurity,
  request: {
    query: z.object({
      userId: z.string().max(255).optional(),
      environment: environmentKeySchema.optional(),
    }),
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
  const environmentSnapshot = (environment: string): EnvironmentSnapshot => {
    const snapshot = deps.snapshot.current.environments.get(environment);
    if (!snapshot) throw new AppError('NOT_FOUND', `Environment "${environment}" does not exist.`);
    return snapshot;
  };
  return createRouter()
    .openapi(evaluateAllRoute, (c) => {
      const query = c.req.valid('query');
      const snapshot = environmentSnapshot(resolveEnvironment(c, query.environment));
      evaluations.inc({ endpoint: 'config' }, snapshot.flags.size);
      c.header('content-type', 'application/json');
      // Already-serialised JSON; the cast keeps the route's typed response contract.
      return c.body(snapshot.evaluateAllJson(query.userId || undefined), 200) as unknown as ReturnType<
        typeof c.json<Record<string, boolean>, 200>
      >;
    })
    .openapi(flagRoute, (c) => {
      const key = c.req.valid('param').flagKey;
      const flag = environmentSnapshot(resolveEnvironment(c, c.req.valid('query').environment)).flags.get(key);
      if (!flag) throw notFound(`Flag "${key}"`);
      return c.json(
        {
          key: flag.key,
          enabled: flag.enabled,
          rolloutPercentage: flag.rolloutPercentage,
          description: flag.description,
        },
        200,
      );
    });
}
