import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { environmentKeySchema, ofrepRequestSchema } from '@flagline/core';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator';
import { recordRequest } from '../http/access-log';
import type { Principal } from '../http/context';
import { matchesEtag } from '../http/etag';
import { acceptedRequestId } from '../http/request-id';
import { evaluations } from '../shared/metrics';
import type { EnvironmentSnapshot, SnapshotStore } from './snapshot';

const CONFIG = { method: 'GET', path: '/api/config/flags' } as const;
const RULESET = { method: 'GET', path: '/api/client/flags' } as const;
const OFREP_BULK = { method: 'POST', path: '/ofrep/v1/evaluate/flags' } as const;
/** The Host headers @hono/node-server uses as they are (its reValidHost); it checks any other by parsing a URL. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** What the evaluation CORS middleware (app.ts) adds to every answer that is not a preflight. */
const EXPOSE_HEADERS = 'ETag,X-Request-Id';
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
/** An OFREP body is one context; a larger one goes the general way, which also enforces the 64 KiB limit. */
const MAX_FAST_BODY_BYTES = 8 * 1024;

type Query = { userId: string | undefined; environment: string | undefined };

/** Whether a request header was sent more than once: Node keeps the first, the Fetch Request Hono sees joins them. */
function repeated(request: IncomingMessage, name: string): boolean {
  const raw = request.rawHeaders;
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i];
    if (header?.length !== name.length || header.toLowerCase() !== name) continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/** Percent-decoding as Hono does it (`+` is a space); undefined where Hono would keep the text undecoded. */
function decode(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/**
 * The route's query parameters as its validator sees them, or undefined whenever the route would not answer 200: a
 * repeated parameter (the validator receives an array), U+0000 (refused on every route), an invalid value, or text
 * Hono decodes differently from decodeURIComponent (a fragment, a malformed escape).
 */
function parseQuery(url: string, queryStart: number, withUserId: boolean): Query | undefined {
  const query: Query = { userId: undefined, environment: undefined };
  if (queryStart === -1) return query;
  const text = url.slice(queryStart + 1);
  if (text.includes('#') || /%00/i.test(text)) return undefined;
  for (const pair of text.split('&')) {
    const equals = pair.indexOf('=');
    const name = decode(equals === -1 ? pair : pair.slice(0, equals));
    if (name === undefined) return undefined;
    if (name === 'environment' || (withUserId && name === 'userId')) {
      const value = decode(equals === -1 ? '' : pair.slice(equals + 1));
      if (value === undefined || query[name] !== undefined) return undefined;
      query[name] = value;
    }
  }
  if (query.userId !== undefined && query.userId.length > 255) return undefined;
  if (query.environment !== undefined && !environmentKeySchema.safeParse(query.environment).success) return undefined;
  return query;
}

/** Whether @hono/node-server builds the request URL from this Host header rather than answering 400 (its buildUrl). */
function usableHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  if (PLAIN_HOST.test(host)) return true;
  try {
    const { hostname } = new URL(`http://${host}/`);
    return hostname.length === host.length || hostname === host.replace(/:\d+$/, '').toLowerCase();
  } catch {
    return false;
  }
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return acceptedRequestId(typeof incoming === 'string' ? incoming : undefined);
}

/** The caller as the route's authentication would see it, when that needs no I/O; otherwise undefined. */
function knownPrincipal(request: IncomingMessage, authenticator: Authenticator): Principal | undefined {
  if (!usableHost(request.headers.host) || repeated(request, 'authorization')) return undefined;
  return authenticator.cachedPrincipal(request.headers.authorization);
}

interface Answer {
  status: 200 | 304;
  etag?: string;
  /** GET /api/client/flags asks caches to revalidate. */
  noCache?: boolean;
  /** JSON; none with a 304. */
  body?: string;
}

/**
 * Sends the headers the route's answer carries, in its order (Hono sorts them by name, @hono/node-server appends
 * content-length), and records the request (latency histogram, access log line) under the route's pattern, as app.ts does.
 */
function reply(
  logger: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  route: { method: string; path: string },
  started: number,
  { status, etag, noCache, body }: Answer,
): true {
  const headers: OutgoingHttpHeaders = {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': EXPOSE_HEADERS,
  };
  if (noCache) headers['cache-control'] = 'no-cache';
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (etag !== undefined) headers.etag = etag;
  const requestId = requestIdOf(request);
  headers['x-request-id'] = requestId;
  // Spelled as @hono/node-server writes it for a string body, so the raw bytes match the route's.
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  response.writeHead(status, headers);
  response.end(body);
  recordRequest(logger, { method: route.method, route: route.path, status, started, requestId });
  return true;
}

/**
 * The evaluation endpoints every application calls — GET /api/config/flags, GET /api/client/flags and OFREP bulk
 * POST /ofrep/v1/evaluate/flags — answered straight from the snapshot for a token this instance already knows and
 * well-formed input, without building a Fetch Request/Response and running the middleware chain (measured: that
 * adaptation costs several times the work itself). Anything else — first use of a token, odd or bad input, errors —
 * goes through the Hono route, which stays the reference behaviour and the documented contract; the answers here
 * carry the same bytes and headers (evaluate-fast-path.test.ts holds them to that) and the same metrics.
 */
export function createEvaluateFastPath(
  authenticator: Authenticator,
  snapshot: SnapshotStore,
  logger: Logger,
  /** The general listener (Hono), for a request taken on its headers whose body then turns out not to be plain. */
  handBack: (request: IncomingMessage, response: ServerResponse) => void,
) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = request.url;
    if (url === undefined || !snapshot.ready) return false;
    if (request.method === 'GET') {
      const queryStart = url.indexOf('?');
      const pathLength = queryStart === -1 ? url.length : queryStart;
      if (pathLength === CONFIG.path.length && url.startsWith(CONFIG.path)) {
        return evaluateAll(request, response, url, queryStart);
      }
      if (pathLength === RULESET.path.length && url.startsWith(RULESET.path)) {
        return ruleset(request, response, url, queryStart);
      }
      return false;
    }
    if (request.method === 'POST' && url === OFREP_BULK.path) return ofrepBulk(request, response);
    return false;
  };

  /** Undefined also for a client token asking for another environment: the route answers that one (403). */
  function environmentFor(principal: Principal, requested: string | undefined): EnvironmentSnapshot | undefined {
    if (principal.environment !== null && requested !== undefined && requested !== principal.environment) {
      return undefined;
    }
    return snapshot.current.environments.get(principal.environment ?? requested ?? 'production');
  }

  function evaluateAll(request: IncomingMessage, response: ServerResponse, url: string, queryStart: number): boolean {
    const principal = knownPrincipal(request, authenticator);
    const query = parseQuery(url, queryStart, true);
    const environment = principal && query && environmentFor(principal, query.environment);
    if (!environment || !query) return false;
    const started = performance.now();
    const body = environment.evaluateAllJson(query.userId || undefined);
    evaluations.inc({ endpoint: 'config' }, environment.flags.size);
    return reply(logger, request, response, CONFIG, started, { status: 200, body });
  }

  function ruleset(request: IncomingMessage, response: ServerResponse, url: string, queryStart: number): boolean {
    const principal = knownPrincipal(request, authenticator);
    const query = parseQuery(url, queryStart, false);
    const environment = principal && query && environmentFor(principal, query.environment);
    if (!environment) return false;
    const started = performance.now();
    const { json, etag } = environment.rulesetBody();
    const notModified = matchesEtag(request.headers['if-none-match'], etag);
    return reply(logger, request, response, RULESET, started, {
      status: notModified ? 304 : 200,
      etag,
      noCache: true,
      body: notModified ? undefined : json,
    });
  }

  /**
   * Decides from the headers alone whether to take the request (the listener must answer synchronously), then reads
   * the body; a body that is not a small, valid OFREP request is handed back to the server for the Hono route.
   */
  function ofrepBulk(request: IncomingMessage, response: ServerResponse): boolean {
    const { headers } = request;
    const contentType = headers['content-type'];
    const length = headers['content-length'];
    if (
      contentType === undefined ||
      !JSON_CONTENT_TYPE.test(contentType) ||
      repeated(request, 'content-type') ||
      headers['transfer-encoding'] !== undefined ||
      length === undefined ||
      !/^[1-9]\d{0,4}$/.test(length) ||
      Number(length) > MAX_FAST_BODY_BYTES
    ) {
      return false;
    }
    const principal = knownPrincipal(request, authenticator);
    if (!principal || !environmentFor(principal, undefined)) return false;

    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The client went away mid-body: there is no one left to answer.
    request.on('error', () => response.destroy());
    request.on('end', () => {
      const received = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
      const targetingKey = wellFormedTargetingKey(received);
      // The snapshot may have changed while the body arrived; the route would read the current one.
      const environment = environmentFor(principal, undefined);
      if (targetingKey === false || !environment) {
        // @hono/node-server takes an already-read body from `rawBody` (as on Cloud Functions).
        Object.assign(request, { rawBody: received });
        handBack(request, response);
        return;
      }
      const etag = environment.ofrepEtag(targetingKey);
      if (matchesEtag(headers['if-none-match'], etag)) {
        reply(logger, request, response, OFREP_BULK, started, { status: 304, etag });
        return;
      }
      const body = environment.ofrepBulkJson(targetingKey);
      evaluations.inc({ endpoint: 'ofrep' }, environment.flags.size);
      reply(logger, request, response, OFREP_BULK, started, { status: 200, etag, body });
    });
    return true;
  }
}

/**
 * The targeting key of a body the route would accept as it is, or false for anything else: not JSON, not valid
 * against the OFREP schema, or carrying U+0000 (which the route refuses in any string).
 */
function wellFormedTargetingKey(body: Buffer): string | undefined | false {
  const text = body.toString('utf8');
  // \u0000 and surrogate escapes (a lone one is refused; a pair merely takes the route too).
  if (text.includes('\\u0000') || /\\u[dD][89a-fA-F]/.test(text)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  const result = ofrepRequestSchema.safeParse(parsed);
  return result.success ? result.data.context?.targetingKey : false;
}
