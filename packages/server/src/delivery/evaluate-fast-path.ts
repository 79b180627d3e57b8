import type { IncomingMessage, ServerResponse } from 'node:http';
import { ofrepRequestSchema } from '@flagline/core';
import type { Logger } from 'pino';
import { recordRequest } from '../http/access-log';
import type { Principal } from '../http/context';
import { acceptedRequestId } from '../http/request-id';
import { AppError } from '../shared/errors';
import { environmentQuery } from './client-routes';
import { evaluateFlagsQuery } from './config-routes';
import { evaluationCorsHeaders } from './evaluation-http';
import {
  addEvaluationHeaders,
  countEvaluations,
  type EvaluationResponse,
  evaluateFlagsResponse,
  ofrepBulkResponse,
  rulesetResponse,
} from './evaluation-responses';
import type { CredentialVerifier, SnapshotSource } from './snapshot-source';

const CONFIG = { method: 'GET', path: '/api/config/flags' } as const;
const RULESET = { method: 'GET', path: '/api/client/flags' } as const;
const OFREP_BULK = { method: 'POST', path: '/ofrep/v1/evaluate/flags' } as const;
type FastRoute = typeof CONFIG | typeof RULESET | typeof OFREP_BULK;

/** A Host header @hono/node-server uses as it is (its reValidHost); any other it parses, and may refuse. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/**
 * A request target @hono/node-server uses as it is (its reValidRequestUrl) that also has no `%`, `+` or `#`: its
 * query means the same undecoded, so there is no decoding here to keep in agreement with Hono's.
 */
const PLAIN_TARGET = /^\/[!$&-*,-;=?-[\]_a-z~]*$/;
const JSON_CONTENT_TYPE = /^application\/json(?:;\s*charset=utf-8)?$/i;
/** An OFREP body is one context; a larger one goes to the route, which also enforces the 64 KiB limit. */
const MAX_FAST_BODY_BYTES = 8 * 1024;

/**
 * The request's query parameters; undefined when one is repeated (the route's validator receives an array, and
 * refuses it). The target is plain, so nothing needs decoding.
 */
function plainQuery(url: string, queryStart: number): Record<string, string> | undefined {
  const query: Record<string, string> = Object.create(null);
  if (queryStart === -1) return query;
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    if (name in query) return undefined;
    query[name] = equals === -1 ? '' : pair.slice(equals + 1);
  }
  return query;
}

/**
 * Whether the request is within the fast path's whitelist on its headers: a plain Host, a plain target and no header
 * sent twice (Node keeps the first of some repeated headers, the Fetch Request Hono builds joins them).
 */
function plainRequest(request: IncomingMessage, url: string): boolean {
  const { headers } = request;
  return (
    PLAIN_TARGET.test(url) &&
    headers.host !== undefined &&
    PLAIN_HOST.test(headers.host) &&
    request.rawHeaders.length === 2 * Object.keys(headers).length
  );
}

/**
 * A body the route would take as it is, parsed, or undefined for anything else: not UTF-8 (U+FFFD), any `\u` escape
 * (the route refuses U+0000 and lone surrogates wherever they are), not JSON, or not an OFREP request.
 */
function plainOfrepBody(body: Buffer) {
  const text = body.toString('utf8');
  if (text.includes('\\u') || text.includes('\uFFFD')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = ofrepRequestSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

/**
 * The evaluation endpoints every application calls — GET /api/config/flags, GET /api/client/flags and OFREP bulk
 * POST /ofrep/v1/evaluate/flags — taken straight off node:http for a token this instance already knows and a request
 * inside a strict whitelist, without building a Fetch Request/Response and running the middleware chain (measured in
 * bench/results/delivery-responder.md: a bare Hono app for these routes spends 22–64 % more CPU per request). The answer itself
 * comes from the same responder the Hono route calls (evaluation-responses.ts). Anything else — first use of a token,
 * an unusual request, any error — goes to the Hono route, the reference behaviour and the documented contract.
 */
export function createEvaluateFastPath(
  authenticator: CredentialVerifier,
  snapshot: SnapshotSource,
  logger: Logger,
  /** The general listener (Hono), for a request taken on its headers whose body then turns out not to be plain. */
  handBack: (request: IncomingMessage, response: ServerResponse) => void,
) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = request.url;
    if (url === undefined || !snapshot.ready) return false;
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const route =
      request.method === 'GET'
        ? path === CONFIG.path
          ? CONFIG
          : path === RULESET.path
            ? RULESET
            : undefined
        : request.method === 'POST' && url === OFREP_BULK.path
          ? OFREP_BULK
          : undefined;
    if (!route || !plainRequest(request, url)) return false;
    const principal = authenticator.cachedPrincipal(request.headers.authorization);
    // Frontend tokens take the route: their CORS and their answers differ, and they are not the hot path.
    if (!principal || principal.role === 'frontend') return false;
    if (route === OFREP_BULK) return ofrepBulk(request, response, principal);
    const query = plainQuery(url, queryStart);
    if (!query) return false;
    if (route === CONFIG) {
      const input = evaluateFlagsQuery.safeParse(query);
      return (
        input.success &&
        answer(request, response, route, () => evaluateFlagsResponse(principal, input.data, snapshot.current))
      );
    }
    const input = environmentQuery.safeParse(query);
    const ifNoneMatch = request.headers['if-none-match'];
    return (
      input.success &&
      answer(request, response, route, () =>
        rulesetResponse(principal, { ...input.data, ifNoneMatch }, snapshot.current),
      )
    );
  };

  /** Sends the responder's answer, or returns false (nothing sent) when it throws an AppError: the route answers those. */
  function answer(
    request: IncomingMessage,
    response: ServerResponse,
    route: FastRoute,
    respond: () => EvaluationResponse,
    started = performance.now(),
  ): boolean {
    let evaluation: EvaluationResponse;
    try {
      evaluation = respond();
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
    countEvaluations(evaluation);
    const sentId = request.headers['x-request-id'];
    const requestId = acceptedRequestId(typeof sentId === 'string' ? sentId : undefined);
    const headers = addEvaluationHeaders(evaluation, evaluationCorsHeaders());
    headers['x-request-id'] = requestId;
    if (evaluation.body !== undefined) headers['content-length'] = String(Buffer.byteLength(evaluation.body));
    response.writeHead(evaluation.status, headers);
    response.end(evaluation.body);
    recordRequest(logger, { method: route.method, route: route.path, status: evaluation.status, started, requestId });
    return true;
  }

  /**
   * Decides from the headers alone whether to take the request (the listener must answer synchronously), then reads
   * the body; a body that is not a small, plain OFREP request is handed back to the server for the Hono route.
   */
  function ofrepBulk(request: IncomingMessage, response: ServerResponse, principal: Principal): boolean {
    const { headers } = request;
    const length = headers['content-length'];
    if (
      headers['content-type'] === undefined ||
      !JSON_CONTENT_TYPE.test(headers['content-type']) ||
      headers['transfer-encoding'] !== undefined ||
      length === undefined ||
      !/^[1-9]\d{0,4}$/.test(length) ||
      Number(length) > MAX_FAST_BODY_BYTES
    ) {
      return false;
    }
    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The client went away mid-body: there is no one left to answer.
    request.on('error', () => response.destroy());
    request.on('end', () => {
      const received = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
      const body = plainOfrepBody(received);
      const input = { context: body?.context, ifNoneMatch: headers['if-none-match'] };
      // The snapshot may have changed while the body arrived: the route would read the current one, and so does this.
      if (
        !body ||
        !answer(request, response, OFREP_BULK, () => ofrepBulkResponse(principal, input, snapshot.current), started)
      ) {
        // @hono/node-server takes an already-read body from `rawBody` (as on Cloud Functions).
        Object.assign(request, { rawBody: received });
        handBack(request, response);
      }
    });
    return true;
  }
}
