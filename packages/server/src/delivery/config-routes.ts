import {
  environmentKeySchema,
  evaluatedFlagsSchema,
  evaluationPrincipalSchema,
  publicFlagSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { bearerSecurity, commonErrors, createRouter, errorContent, jsonContent, notFoundError } from '../http/router';
import type { ChangeHub } from './change-hub';
import { respond } from './evaluation-http';
import {
  environmentSnapshot,
  evaluateFlagsResponse,
  publicFlagResponse,
  readableEnvironment,
} from './evaluation-responses';
import type { DeliveryDeps } from './snapshot-source';
import { changeStream } from './sse-stream';
import type { StreamRegistry } from './stream-registry';

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

const noticeStreamRoute = createRoute({
  method: 'get',
  path: '/stream',
  operationId: 'streamChangeNotices',
  tags,
  summary: 'Change notices for remote evaluation (Server-Sent Events), for frontend and server tokens',
  description:
    'Event `ready` ({version}) on connect, then `change` ({version, flags: the keys of the flags whose values may have changed}) as changes commit on any instance: re-evaluate (OFREP bulk with If-None-Match) on each. Carries no configuration, so frontend tokens may use it. Ends as the ruleset stream does (revocation, exp, SSE_MAX_LIFETIME_MS; reconnect after `retry:`), with the same per-credential cap.',
  security: bearerSecurity,
  request: { query: z.object({ environment: environmentKeySchema.optional() }) },
  responses: {
    200: { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } },
    ...commonErrors,
    ...notFoundError,
    429: errorContent('This credential holds SSE_MAX_STREAMS_PER_TOKEN streams already; see Retry-After.'),
  },
});

const principalRoute = createRoute({
  method: 'get',
  path: '/principal',
  operationId: 'getEvaluationPrincipal',
  tags,
  summary: 'What these credentials may evaluate (for relays)',
  description:
    'The role, bound environment and allowed origins of the presented credential, and when an access token expires: how `flagline relay`, which has no token table, checks the credentials presented to it (it caches answers for 10 s, and asks again for its open streams when the `credentials` event of the server stream says tokens changed, so a revocation ends them there too). Reads nothing but the credential, records nothing; failures count towards AUTH_FAILURES_PER_MINUTE like any other.',
  security: bearerSecurity,
  responses: { 200: jsonContent(evaluationPrincipalSchema, 'The principal.'), ...commonErrors },
});

export function configRoutes(deps: DeliveryDeps, hub: ChangeHub, streams: StreamRegistry) {
  const settings = { heartbeatMs: deps.config.sseHeartbeatMs, maxQueued: deps.config.streams.maxQueuedEvents };
  return createRouter()
    .openapi(principalRoute, (c) => {
      const { role, environment, actor, allowedOrigins, expiresAt } = c.get('principal');
      return c.json(
        {
          role,
          environment,
          actor,
          ...(allowedOrigins === undefined ? {} : { allowedOrigins: [...allowedOrigins] }),
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
        200,
      );
    })
    .openapi(noticeStreamRoute, (c) => {
      const environment = readableEnvironment(c.get('principal'), c.req.valid('query').environment);
      environmentSnapshot(deps.snapshot.current, environment);
      return changeStream(c, hub, streams, environment, settings, {
        opening: () => {
          const { version } = environmentSnapshot(deps.snapshot.current, environment);
          return [{ event: 'ready', id: String(version), data: JSON.stringify({ version }) }];
        },
        change: (change) => ({
          event: 'change',
          id: String(change.version),
          data: JSON.stringify({
            version: change.version,
            flags: [...change.changed.map((flag) => flag.key), ...change.deleted],
          }),
        }),
      });
    })
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
