import { environmentKeySchema, type RulesetChange, rulesetSchema } from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { etagHeader } from '../http/openapi';
import { bearerSecurity, commonErrors, createRouter, errorContent, jsonContent, notFoundError } from '../http/router';
import type { ChangeHub } from './change-hub';
import { respond } from './evaluation-http';
import { environmentSnapshot, readableEnvironment, rulesetResponse } from './evaluation-responses';
import type { DeliveryDeps } from './snapshot-source';
import { changeStream } from './sse-stream';
import type { StreamRegistry } from './stream-registry';

const rulesetEtag = etagHeader('The ruleset version; send it as If-None-Match to get a 304 while nothing changed.');

const tags = ['Delivery'];
/** The query of GET /api/client/flags (and the stream); the fast path validates with it too. */
export const environmentQuery = z.object({ environment: environmentKeySchema.optional() });

const rulesetRoute = createRoute({
  method: 'get',
  path: '/flags',
  operationId: 'getRuleset',
  tags,
  summary: "The environment's ruleset for local evaluation",
  description:
    'Flags, states and overrides; typed flags also carry type, variants, offVariant, rules and fallthrough, and `segments` lists the segments their rules use. Send If-None-Match with the last ETag: 304 when nothing changed.',
  security: bearerSecurity,
  request: { query: environmentQuery },
  responses: {
    200: { ...jsonContent(rulesetSchema, 'The ruleset.'), headers: rulesetEtag },
    304: { description: 'Not modified since the ETag in If-None-Match.', headers: rulesetEtag },
    ...commonErrors,
    ...notFoundError,
  },
});

const streamRoute = createRoute({
  method: 'get',
  path: '/stream',
  operationId: 'streamChanges',
  tags,
  summary: 'Live changes (Server-Sent Events)',
  description:
    'Event `snapshot` (a Ruleset) on connect, then `change` events ({version, changed, deleted, and segments/deletedSegments when a segment the flags use changed — its flags are in changed too}) as changes commit on any instance; each event id is the config version. Reconnect with Last-Event-ID to receive only what you missed. Event `credentials` (data `{}`, no id) says API tokens were created or revoked: a relay checks the credentials of its own open streams at once; SDKs ignore it. Comment lines are heartbeats. The stream ends when access ends — its token revoked (on any instance), an access token reaching `exp` — and after SSE_MAX_LIFETIME_MS; reconnect after the `retry:` delay. A reader that falls SSE_MAX_QUEUED_EVENTS events behind is dropped. One credential may hold SSE_MAX_STREAMS_PER_TOKEN streams per instance (429 beyond). Not for frontend tokens (403).',
  security: bearerSecurity,
  request: { query: environmentQuery },
  responses: {
    200: { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } },
    ...commonErrors,
    ...notFoundError,
    429: errorContent('This credential holds SSE_MAX_STREAMS_PER_TOKEN streams already; see Retry-After.'),
  },
});

export function clientRoutes(deps: DeliveryDeps, hub: ChangeHub, streams: StreamRegistry) {
  const settings = { heartbeatMs: deps.config.sseHeartbeatMs, maxQueued: deps.config.streams.maxQueuedEvents };
  return createRouter()
    .openapi(rulesetRoute, (c) => {
      const input = { ...c.req.valid('query'), ifNoneMatch: c.req.header('if-none-match') };
      return respond<typeof rulesetRoute>(c, rulesetResponse(c.get('principal'), input, deps.snapshot.current));
    })
    .openapi(streamRoute, (c) => {
      const environment = readableEnvironment(c.get('principal'), c.req.valid('query').environment);
      environmentSnapshot(deps.snapshot.current, environment);
      const lastEventId = Number.parseInt(c.req.header('last-event-id') ?? '', 10);
      return changeStream(c, hub, streams, environment, settings, {
        opening: () => {
          const current = environmentSnapshot(deps.snapshot.current, environment);
          const missed = Number.isInteger(lastEventId)
            ? hub.changesSince(environment, lastEventId, current.version)
            : undefined;
          if (missed) return missed.map(changeEvent);
          return [{ event: 'snapshot', id: String(current.version), data: current.rulesetBody().json }];
        },
        change: changeEvent,
        credentials: CREDENTIALS_EVENT,
      });
    });
}

/** No id: it is not a config version, so it must not move a client's Last-Event-ID. */
const CREDENTIALS_EVENT = { event: 'credentials', data: '{}' };

const changeEvent = (change: RulesetChange) => ({
  event: 'change',
  id: String(change.version),
  data: JSON.stringify(change),
});
