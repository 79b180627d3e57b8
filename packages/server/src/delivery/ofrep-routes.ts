import {
  type OfrepConfiguration,
  ofrepBulkResponseSchema,
  ofrepConfigurationSchema,
  ofrepFailureSchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/context';
import { etagHeader } from '../http/openapi';
import { bearerSecurity, commonErrors, createRouter, jsonBody, jsonContent } from '../http/router';
import { respond } from './evaluation-http';
import { ofrepBulkResponse, ofrepFlagResponse } from './evaluation-responses';
import type { DeliveryDeps } from './snapshot-source';

const bulkEtag = etagHeader('Identifies these results for this context; send it as If-None-Match to get a 304.');

const tags = ['OpenFeature (OFREP)'];
/** OFREP providers send the token either way: Authorization: Bearer, or X-API-Key (OFREP's ApiKeyAuth). */
const ofrepSecurity = [...bearerSecurity, { apiKeyAuth: [] }];

const singleRoute = createRoute({
  method: 'post',
  path: '/evaluate/flags/{key}',
  operationId: 'ofrepEvaluateFlag',
  tags,
  summary: 'Evaluate one flag (OpenFeature Remote Evaluation Protocol)',
  security: ofrepSecurity,
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
  security: ofrepSecurity,
  request: { body: { ...jsonBody(ofrepRequestSchema), required: false } },
  responses: {
    200: { ...jsonContent(ofrepBulkResponseSchema, 'Every flag, evaluated.'), headers: bulkEtag },
    304: { description: 'Nothing changed since the ETag in If-None-Match (for the same context).', headers: bulkEtag },
    ...commonErrors,
  },
});

const configurationRoute = createRoute({
  method: 'get',
  path: '/configuration',
  operationId: 'ofrepConfiguration',
  tags,
  summary: 'What OFREP providers may rely on: polling hints and the supported flag types',
  description:
    'Bulk evaluation answers ETag / If-None-Match, so polling costs a 304 while nothing changed; the minimum polling interval is the snapshot poll (SNAPSHOT_POLL_MS), below which nothing new can appear. Number flags are served as int or float, json flags as object.',
  security: ofrepSecurity,
  responses: { 200: jsonContent(ofrepConfigurationSchema, 'The configuration.'), ...commonErrors },
});

const SINGLE_PATH = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/;

/**
 * A 400 from an OFREP route also speaks OFREP: the design's error body (error, message, details, requestId) gains
 * OFREP's `errorCode` and `errorDetails` — PARSE_ERROR for a body that is not JSON, INVALID_CONTEXT for one that does
 * not validate — and, on single-flag evaluation, the flag's `key`, so the unmodified OFREP providers raise the right
 * error while Flagline's own clients read the usual shape.
 */
export const ofrepErrorShape = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.status !== 400) return;
  let body: unknown;
  try {
    body = await c.res.clone().json();
  } catch {
    return;
  }
  if (body === null || typeof body !== 'object') return;
  const design = body as { error?: string; code?: string; message?: string; detail?: string };
  const code = design.error ?? design.code;
  const match = SINGLE_PATH.exec(c.req.path);
  let key: string | undefined;
  try {
    key = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
  } catch {
    key = match?.[1];
  }
  const ofrep = {
    ...(key === undefined ? {} : { key }),
    errorCode: code === 'INVALID_JSON' ? 'PARSE_ERROR' : 'INVALID_CONTEXT',
    errorDetails: design.message ?? design.detail ?? 'The request is not valid.',
    ...body,
  };
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  // Cleared first: assigning over a response makes Hono copy the old one's headers onto the new one.
  c.res = undefined;
  c.res = new Response(JSON.stringify(ofrep), { status: 400, headers });
});

export function ofrepRoutes(deps: DeliveryDeps) {
  const configuration: OfrepConfiguration = {
    name: 'Flagline',
    capabilities: {
      cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: deps.config.snapshotPollMs } },
      flagEvaluation: { supportedTypes: ['boolean', 'string', 'int', 'float', 'object'] },
    },
  };
  return createRouter()
    .openapi(configurationRoute, (c) => c.json(configuration, 200))
    .openapi(singleRoute, (c) => {
      const input = { key: c.req.valid('param').key, context: c.req.valid('json')?.context };
      return respond<typeof singleRoute>(c, ofrepFlagResponse(c.get('principal'), input, deps.snapshot.current));
    })
    .openapi(bulkRoute, (c) => {
      const input = {
        context: c.req.valid('json')?.context,
        ifNoneMatch: c.req.header('if-none-match'),
      };
      return respond<typeof bulkRoute>(c, ofrepBulkResponse(c.get('principal'), input, deps.snapshot.current));
    });
}
