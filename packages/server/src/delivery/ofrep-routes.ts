import {
  type EvaluationReason,
  evaluate,
  ofrepBulkResponseSchema,
  ofrepFailureSchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, resolveEnvironment } from '../http/deps';
import { AppError } from '../http/errors';
import { matchesEtag } from '../http/etag';
import { evaluations } from '../http/metrics';
import { bearerSecurity, commonErrors, createRouter, jsonBody, jsonContent } from '../http/router';
import type { SnapshotFlag } from './snapshot';

const tags = ['OpenFeature (OFREP)'];

const singleRoute = createRoute({
  method: 'post',
  path: '/evaluate/flags/{key}',
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
  tags,
  summary: 'Evaluate every flag (OFREP bulk); ETag / If-None-Match → 304',
  security: bearerSecurity,
  request: { body: { ...jsonBody(ofrepRequestSchema), required: false } },
  responses: {
    200: jsonContent(ofrepBulkResponseSchema, 'Every flag, evaluated.'),
    304: { description: 'Nothing changed since the ETag in If-None-Match (for the same context).' },
    ...commonErrors,
  },
});

/** Our reasons are OpenFeature's, except that a missing flag is an error code there, not a reason. */
const ofrepReason = (reason: EvaluationReason): string => (reason === 'FLAG_NOT_FOUND' ? 'ERROR' : reason);

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
      // The result depends on the ruleset and on the context: the tag covers both.
      const etag = `"${snapshot.rulesetBody().etag.slice(1, -1)}-${Buffer.from(targetingKey ?? '').toString('base64url')}"`;
      c.header('etag', etag);
      if (matchesEtag(c.req.header('if-none-match'), etag)) {
        return c.body(null, 304);
      }
      evaluations.inc({ endpoint: 'ofrep' }, snapshot.flags.size);
      return c.json({ flags: [...snapshot.flags.values()].map((flag) => evaluation(flag, targetingKey)) }, 200);
    });
}
