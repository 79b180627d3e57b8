import {
  createSegmentBodySchema,
  replaceSegmentBodySchema,
  segmentKeySchema,
  segmentListSchema,
  segmentViewSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, changeContext, unitOfWork } from '../http/deps';
import { ifMatchHeadersFor, parseIfMatch } from '../http/if-match';
import { etagHeader } from '../http/openapi';
import {
  bearerSecurity,
  commonErrors,
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
  preconditionError,
} from '../http/router';
import { notFound } from '../shared/errors';
import { createSegment, deleteSegment, getSegment, listSegments, updateSegment } from './segment-service';

const tags = ['Segments'];
const segmentParams = z.object({ segmentKey: z.string().meta({ description: 'Segment key.' }) });
const ifMatch = ifMatchHeadersFor('segment');
const versionEtag = etagHeader('`"<version>"`: the segment\'s version; send it back as If-Match.');
const etagOf = (view: { version: number }) => `"${view.version}"`;

/** Keys in paths that could never exist are 404s, as for flags. */
function knownShapeOrNotFound(key: string): string {
  if (!segmentKeySchema.safeParse(key).success) throw notFound(`Segment "${key}"`);
  return key;
}

const listRoute = createRoute({
  method: 'get',
  path: '/segments',
  operationId: 'listSegments',
  tags,
  summary: 'List segments, with the flags that use each',
  security: bearerSecurity,
  responses: { 200: jsonContent(segmentListSchema, 'Every segment, ordered by key.'), ...commonErrors },
});

const createSegmentRoute = createRoute({
  method: 'post',
  path: '/segments',
  operationId: 'createSegment',
  tags,
  summary: 'Create a segment (a named, reusable list of constraints)',
  security: bearerSecurity,
  request: { body: jsonBody(createSegmentBodySchema) },
  responses: {
    201: { ...jsonContent(segmentViewSchema, 'The new segment.'), headers: versionEtag },
    ...commonErrors,
    ...conflictError,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/segments/{segmentKey}',
  operationId: 'getSegment',
  tags,
  summary: 'Get a segment and the flags whose rules use it',
  security: bearerSecurity,
  request: { params: segmentParams },
  responses: {
    200: { ...jsonContent(segmentViewSchema, 'The segment.'), headers: versionEtag },
    ...commonErrors,
    ...notFoundError,
  },
});

const replaceRoute = createRoute({
  method: 'put',
  path: '/segments/{segmentKey}',
  operationId: 'replaceSegment',
  tags,
  summary: 'Replace a segment (every flag using it changes with it)',
  security: bearerSecurity,
  request: { params: segmentParams, headers: ifMatch, body: jsonBody(replaceSegmentBodySchema) },
  responses: {
    200: { ...jsonContent(segmentViewSchema, 'The segment after the change.'), headers: versionEtag },
    ...commonErrors,
    ...notFoundError,
    ...preconditionError,
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/segments/{segmentKey}',
  operationId: 'deleteSegment',
  tags,
  summary: 'Delete a segment no rule uses',
  description: 'A segment still used answers 409 INVALID_STATE with `details.flags`: [{ flagKey, environment }].',
  security: bearerSecurity,
  request: { params: segmentParams, headers: ifMatch },
  responses: {
    204: { description: 'Deleted.' },
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
    ...preconditionError,
  },
});

export function segmentRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const db = deps.database.db;
  return createRouter()
    .openapi(listRoute, async (c) => c.json(await listSegments(db), 200))
    .openapi(createSegmentRoute, async (c) => {
      const view = await createSegment(uow, changeContext(c), c.req.valid('json'));
      c.header('ETag', etagOf(view));
      return c.json(view, 201);
    })
    .openapi(getRoute, async (c) => {
      const view = await getSegment(db, knownShapeOrNotFound(c.req.valid('param').segmentKey));
      c.header('ETag', etagOf(view));
      return c.json(view, 200);
    })
    .openapi(replaceRoute, async (c) => {
      const expectedVersion = parseIfMatch(c.req.valid('header')['if-match'], 'segment');
      const view = await updateSegment(uow, changeContext(c), {
        key: knownShapeOrNotFound(c.req.valid('param').segmentKey),
        body: c.req.valid('json'),
        expectedVersion,
      });
      c.header('ETag', etagOf(view));
      return c.json(view, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const expectedVersion = parseIfMatch(c.req.valid('header')['if-match'], 'segment');
      await deleteSegment(uow, changeContext(c), {
        key: knownShapeOrNotFound(c.req.valid('param').segmentKey),
        expectedVersion,
      });
      return c.body(null, 204);
    });
}
