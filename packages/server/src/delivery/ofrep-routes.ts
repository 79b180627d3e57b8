import { ofrepBulkResponseSchema, ofrepFailureSchema, ofrepRequestSchema, ofrepSuccessSchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/deps';
import { etagHeader } from '../http/openapi';
import { bearerSecurity, commonErrors, createRouter, jsonBody, jsonContent } from '../http/router';
import { respond } from './evaluation-http';
import { ofrepBulkResponse, ofrepFlagResponse } from './evaluation-responses';

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

export function ofrepRoutes(deps: AppDeps) {
  return createRouter()
    .openapi(singleRoute, (c) => {
      const input = { key: c.req.valid('param').key, targetingKey: c.req.valid('json')?.context?.targetingKey };
      return respond<typeof singleRoute>(c, ofrepFlagResponse(c.get('principal'), input, deps.snapshot.current));
    })
    .openapi(bulkRoute, (c) => {
      const input = {
        targetingKey: c.req.valid('json')?.context?.targetingKey,
        ifNoneMatch: c.req.header('if-none-match'),
      };
      return respond<typeof bulkRoute>(c, ofrepBulkResponse(c.get('principal'), input, deps.snapshot.current));
    });
}
