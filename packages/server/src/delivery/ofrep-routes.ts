import {
  evaluate,
  type OfrepBulkResponse,
  ofrepBulkResponseSchema,
  ofrepFailureSchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, resolveEnvironment } from '../http/deps';
import { matchesEtag } from '../http/etag';
import { etagHeader } from '../http/openapi';
import { bearerSecurity, commonErrors, createRouter, jsonBody, jsonContent } from '../http/router';
import { AppError } from '../shared/errors';
import { evaluations } from '../shared/metrics';
import { ofrepReason, type SnapshotFlag } from './snapshot';

const bulkEtag = etagHeader('Identifies these results for this context; send it as If-None-Match to get a 304.');

const tags = ['OpenFeature (OFREP)'];

const singleRoute = createRoute({
  method: 'post',
  path: '/evaluate/flags/{key}',
  operationId: 'ofrepEvaluateFlag',
  tags,
  summary: 'Evaluate one flag (OpenFeature Remote Evaluation Protocol)',
  security: bearerSecurity,
  request: { params: z.object({ key: z.string() }), body: { ...jsonBody(ofrepRequestSchema), required: false } },
  responses: {
    200: jsonContent(ofrepSuccessSchema, 'The evaluation.'),
    404: jsonContent(ofrepFailureSchema, 'FLAG_NOT_FOUND.'),
    ...commonErrors,
  },
});

const bulkRoute = createRoute({
  method: 'post',
  path: '/evaluate/flags',
  operationId: 'ofrepEvaluateFlags',
  tags,
  summary: 'Evaluate every flag (OFREP bulk); ETag / If-None-Match → 304',
  security: bearerSecurity,
  request: { body: { ...jsonBody(ofrepRequestSchema), required: false } },
  responses: {
    200: { ...jsonContent(ofrepBulkResponseSchema, 'Every flag, evaluated.'), headers: bulkEtag },
    304: { description: 'Nothing changed since the ETag in If-None-Match (for the same context).', headers: bulkEtag },
    ...commonErrors,
  },
});

function evaluation(flag: SnapshotFlag, targetingKey: string | undefined) {
  const result = evaluate(flag, targetingKey);
  return {
    key: flag.key,
    value: result.value,
    reason: ofrepReason(result.reason),
    variant: result.value ? 'on' : 'off',
    metadata: { rolloutPercentage: flag.rolloutPercentage },
  };
}

export function ofrepRoutes(deps: AppDeps) {
  const environmentSnapshot = (environment: string) => {
    const snapshot = deps.snapshot.current.environments.get(environment);
    if (!snapshot) throw new AppError('NOT_FOUND', `Environment "${environment}" does not exist.`);
    return snapshot;
  };
  return createRouter()
    .openapi(singleRoute, async (c) => {
      const { key } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      const snapshot = environmentSnapshot(resolveEnvironment(c, undefined));
      const flag = snapshot.flags.get(key);
      if (!flag) {
        return c.json({ key, errorCode: 'FLAG_NOT_FOUND' as const, errorDetails: `Flag "${key}" was not found.` }, 404);
      }
      evaluations.inc({ endpoint: 'ofrep' });
      return c.json(evaluation(flag, body.context?.targetingKey), 200);
    })
    .openapi(bulkRoute, async (c) => {
      const body = c.req.valid('json') ?? {};
      const targetingKey = body.context?.targetingKey;
      const snapshot = environmentSnapshot(resolveEnvironment(c, undefined));
      const etag = snapshot.ofrepEtag(targetingKey);
      c.header('etag', etag);
      if (matchesEtag(c.req.header('if-none-match'), etag)) {
        return c.body(null, 304);
      }
      evaluations.inc({ endpoint: 'ofrep' }, snapshot.flags.size);
      c.header('content-type', 'application/json');
      // Already-serialised JSON; the cast keeps the route's typed response contract.
      return c.body(snapshot.ofrepBulkJson(targetingKey), 200) as unknown as ReturnType<
        typeof c.json<OfrepBulkResponse, 200>
      >;
    });
}
