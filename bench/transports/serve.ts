/**
 * One way of serving the evaluation routes, as its own process, for bench/transports.ts:
 *   fast  `flagline serve`'s wiring: the node:http fast path, Hono for everything else
 *   bare  a bare Hono app holding only the three measured routes (the same responders), the full app for the rest
 *   hono  the full Hono app alone
 * TRANSPORT_ROOT points at another checkout for `fast`, so an older fast path runs beside this one (paired runs).
 * Prints one JSON line {"url"} when listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ofrepRequestSchema } from '@flagline/core';
import { getRequestListener } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import pino from 'pino';
import type * as AppModule from '../../packages/server/src/app';
import type * as ConfigModule from '../../packages/server/src/config';
import { environmentQuery } from '../../packages/server/src/delivery/client-routes';
import { evaluateFlagsQuery } from '../../packages/server/src/delivery/config-routes';
import type * as FastPathModule from '../../packages/server/src/delivery/evaluate-fast-path';
import { evaluationCorsHeaders } from '../../packages/server/src/delivery/evaluation-http';
import {
  addEvaluationHeaders,
  countEvaluations,
  type EvaluationResponse,
  evaluateFlagsResponse,
  ofrepBulkResponse,
  rulesetResponse,
} from '../../packages/server/src/delivery/evaluation-responses';
import { recordRequest } from '../../packages/server/src/http/access-log';
import { acceptedRequestId } from '../../packages/server/src/http/request-id';
import type * as RuntimeModule from '../../packages/server/src/runtime';
import { AppError } from '../../packages/server/src/shared/errors';
import { root } from '../lib';

const variant = process.env.TRANSPORT ?? 'fast';
const source = join(process.env.TRANSPORT_ROOT ?? root, 'packages/server/src');
const { createApp }: typeof AppModule = await import(join(source, 'app.ts'));
const { loadConfig }: typeof ConfigModule = await import(join(source, 'config.ts'));
const { startRuntime }: typeof RuntimeModule = await import(join(source, 'runtime.ts'));
const { createEvaluateFastPath }: typeof FastPathModule = await import(join(source, 'delivery/evaluate-fast-path.ts'));

const config = loadConfig({ ...process.env, SCHEDULER_ENABLED: 'false', FLAGLINE_DATA_DIR: 'memory:' });
const logger = pino({ level: 'warn' });
const runtime = await startRuntime(config, logger);
const app = createApp(runtime);
const hono = getRequestListener(app.fetch);
const general = (request: IncomingMessage, response: ServerResponse) => void hono(request, response);

/** Only this checkout has the responders: `bare` always runs this checkout's code. */
function bareListener() {
  const bare = new Hono();
  const { authenticator, snapshot } = runtime;
  type Principal = NonNullable<ReturnType<typeof authenticator.cachedPrincipal>>;
  type Responder = (c: Context, principal: Principal) => Promise<EvaluationResponse | undefined>;
  const route = (method: string, path: string, respond: Responder) => async (c: Context) => {
    const started = performance.now();
    const principal = authenticator.cachedPrincipal(c.req.header('authorization'));
    if (!principal) return app.fetch(c.req.raw);
    let answer: EvaluationResponse | undefined;
    try {
      answer = await respond(c, principal);
    } catch (error) {
      if (error instanceof AppError) return app.fetch(c.req.raw);
      throw error;
    }
    if (!answer) return app.fetch(c.req.raw);
    countEvaluations(answer);
    const requestId = acceptedRequestId(c.req.header('x-request-id'));
    const headers = addEvaluationHeaders(answer, evaluationCorsHeaders());
    headers['x-request-id'] = requestId;
    const response =
      answer.status === 304 || answer.body === undefined
        ? c.body(null, answer.status, headers)
        : c.body(answer.body, answer.status, headers);
    recordRequest(logger, { method, route: path, status: answer.status, started, requestId });
    return response;
  };
  bare.get(
    '/api/config/flags',
    route('GET', '/api/config/flags', async (c, principal) => {
      const query = evaluateFlagsQuery.safeParse(c.req.query());
      return query.success ? evaluateFlagsResponse(principal, query.data, snapshot.current) : undefined;
    }),
  );
  bare.get(
    '/api/client/flags',
    route('GET', '/api/client/flags', async (c, principal) => {
      const query = environmentQuery.safeParse(c.req.query());
      const input = query.success ? { ...query.data, ifNoneMatch: c.req.header('if-none-match') } : undefined;
      return input && rulesetResponse(principal, input, snapshot.current);
    }),
  );
  bare.post(
    '/ofrep/v1/evaluate/flags',
    route('POST', '/ofrep/v1/evaluate/flags', async (c, principal) => {
      const body = ofrepRequestSchema.safeParse(await c.req.json());
      const input = { targetingKey: body.data?.context?.targetingKey, ifNoneMatch: c.req.header('if-none-match') };
      return body.success ? ofrepBulkResponse(principal, input, snapshot.current) : undefined;
    }),
  );
  bare.all('*', (c) => app.fetch(c.req.raw));
  return getRequestListener(bare.fetch);
}

let listener: (request: IncomingMessage, response: ServerResponse) => void;
if (variant === 'fast') {
  const fastPath = createEvaluateFastPath(runtime.authenticator, runtime.snapshot, logger, general);
  listener = (request, response) => {
    if (!fastPath(request, response)) general(request, response);
  };
} else if (variant === 'bare') {
  const bare = bareListener();
  listener = (request, response) => void bare(request, response);
} else {
  listener = general;
}
const server = createServer(listener);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`,
);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void runtime.stop().then(() => process.exit(0)));
});
