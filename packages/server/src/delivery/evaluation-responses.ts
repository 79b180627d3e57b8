import { type EvaluationContext, evaluateFlag, type OfrepFailure } from '@flagline/core';
import type { Principal } from '../http/context';
import { matchesEtag } from '../http/etag';
import { AppError, notFound } from '../shared/errors';
import { evaluations } from '../shared/metrics';
import { type EnvironmentSnapshot, ofrepResult, ofrepValueOnly } from './environment-snapshot';
import type { ConfigSnapshot } from './load-snapshot';

/**
 * What an evaluation route answers, decided from the caller, its input and the snapshot alone. Both transports — the
 * Hono routes and the node:http fast path — send exactly this; only the CORS headers and X-Request-Id, which every
 * evaluation answer carries, are theirs to add. Failures are thrown as AppError and leave through the one error map.
 */
const NO_CONTEXT: EvaluationContext = Object.freeze({});

export interface EvaluationResponse {
  status: 200 | 304 | 404 | 500;
  /** Serialised JSON; none with a 304. */
  body?: string;
  etag?: string;
  /** Caches must revalidate before reusing the answer (Cache-Control: no-cache). */
  revalidate?: boolean;
  /** Flag evaluations served, for flagline_evaluations_total. */
  evaluated?: { endpoint: 'config' | 'ofrep'; count: number };
}

/**
 * A client token reads its own environment; asking for another is refused rather than quietly answered from its own
 * (a caller that named "development" must not act on production's flags believing them development's). Other
 * principals get the one asked for, production by default.
 */
export function readableEnvironment(principal: Principal, requested: string | undefined): string {
  const bound = principal.environment;
  if (bound !== null && requested !== undefined && requested !== bound) {
    throw new AppError(
      'FORBIDDEN',
      `This token is bound to environment "${bound}" and cannot read environment "${requested}"; leave out ?environment= or ask for "${bound}".`,
      { tokenEnvironment: bound, requestedEnvironment: requested },
    );
  }
  return bound ?? requested ?? 'production';
}

export function environmentSnapshot(snapshot: ConfigSnapshot, environment: string): EnvironmentSnapshot {
  const found = snapshot.environments.get(environment);
  if (!found) throw new AppError('NOT_FOUND', `Environment "${environment}" does not exist.`);
  return found;
}

const readable = (snapshot: ConfigSnapshot, principal: Principal, requested: string | undefined) =>
  environmentSnapshot(snapshot, readableEnvironment(principal, requested));

/** GET /api/config/flags: `{ flagKey: boolean }` for one user (the origin's answer). */
export function evaluateFlagsResponse(
  principal: Principal,
  input: { userId?: string | undefined; environment?: string | undefined },
  snapshot: ConfigSnapshot,
): EvaluationResponse {
  const environment = readable(snapshot, principal, input.environment);
  return {
    status: 200,
    // An empty userId is no user at all (design §4, step 5).
    body: environment.evaluateAllJson(input.userId || undefined),
    evaluated: { endpoint: 'config', count: environment.flags.size },
  };
}

/** GET /api/config/flags/:flagKey: the flag's public configuration (the origin's answer). */
export function publicFlagResponse(
  principal: Principal,
  input: { flagKey: string; environment?: string | undefined },
  snapshot: ConfigSnapshot,
): EvaluationResponse {
  const flag = readable(snapshot, principal, input.environment).flags.get(input.flagKey);
  if (!flag) throw notFound(`Flag "${input.flagKey}"`);
  const { key, enabled, rolloutPercentage, description } = flag;
  return { status: 200, body: JSON.stringify({ key, enabled, rolloutPercentage, description }) };
}

/** GET /api/client/flags: the ruleset for local evaluation, or 304 while If-None-Match names the current one. */
export function rulesetResponse(
  principal: Principal,
  input: { environment?: string | undefined; ifNoneMatch?: string | undefined },
  snapshot: ConfigSnapshot,
): EvaluationResponse {
  const { json, etag } = readable(snapshot, principal, input.environment).rulesetBody();
  if (matchesEtag(input.ifNoneMatch, etag)) return { status: 304, etag, revalidate: true };
  return { status: 200, body: json, etag, revalidate: true };
}

/** POST /ofrep/v1/evaluate/flags/:key: one flag; an unknown one is OFREP's FLAG_NOT_FOUND, not the API's error. */
export function ofrepFlagResponse(
  principal: Principal,
  input: { key: string; context?: EvaluationContext | undefined },
  snapshot: ConfigSnapshot,
): EvaluationResponse {
  const flag = readable(snapshot, principal, undefined).flags.get(input.key);
  if (!flag) {
    const failure: OfrepFailure = {
      key: input.key,
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: `Flag "${input.key}" was not found.`,
    };
    return { status: 404, body: JSON.stringify(failure) };
  }
  const full = ofrepResult(flag, evaluateFlag(flag.compiled, input.context ?? NO_CONTEXT));
  const result = principal.role === 'frontend' ? ofrepValueOnly(full) : full;
  // Only a flag whose stored configuration the engine cannot serve gets here: not the caller's doing, hence 500.
  if ('errorCode' in result) return { status: 500, body: JSON.stringify(result) };
  return { status: 200, body: JSON.stringify(result), evaluated: { endpoint: 'ofrep', count: 1 } };
}

/** POST /ofrep/v1/evaluate/flags: every flag for one context, or 304 while If-None-Match names these results. */
export function ofrepBulkResponse(
  principal: Principal,
  input: { context?: EvaluationContext | undefined; ifNoneMatch?: string | undefined },
  snapshot: ConfigSnapshot,
): EvaluationResponse {
  const environment = readable(snapshot, principal, undefined);
  const context = input.context ?? NO_CONTEXT;
  const frontend = principal.role === 'frontend';
  const fullEtag = environment.ofrepEtag(context);
  // A frontend answer has other bytes than a server token's for the same context, so it has its own tag.
  const etag = frontend ? `${fullEtag.slice(0, -1)}-v"` : fullEtag;
  if (matchesEtag(input.ifNoneMatch, etag)) return { status: 304, etag };
  return {
    status: 200,
    body: frontend ? environment.ofrepBulkValuesJson(context) : environment.ofrepBulkJson(context),
    etag,
    evaluated: { endpoint: 'ofrep', count: environment.flags.size },
  };
}

/**
 * Adds the response's own headers (lower-case names) to `headers`, for either transport. Set one by one: an object
 * spread of header names is slow enough in V8 to cost an evaluation answer a third of its throughput (measured).
 */
export function addEvaluationHeaders(
  response: EvaluationResponse,
  headers: Record<string, string>,
): Record<string, string> {
  if (response.revalidate) headers['cache-control'] = 'no-cache';
  if (response.body !== undefined) headers['content-type'] = 'application/json';
  if (response.etag !== undefined) headers.etag = response.etag;
  return headers;
}

/** Counts what the response evaluated; each transport calls it once per answer it sends. */
export function countEvaluations(response: EvaluationResponse): void {
  if (response.evaluated) evaluations.inc({ endpoint: response.evaluated.endpoint }, response.evaluated.count);
}
