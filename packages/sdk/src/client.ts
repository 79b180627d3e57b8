import type {
  ChangeRequest,
  CreateFlagBody,
  CreateSegmentBody,
  DecideChangeRequestBody,
  EnvironmentTargetingPatch,
  ListChangeRequestsQuery,
  RecurrencePreviewBody,
  ReplaceSegmentBody,
  Variant,
} from '@flagline/core';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api-types/index';
import { ChangeRequestPending, FlaglineApiError } from './errors';
import { actOnPlan, type CreatePlanOptions, createPlan, getPlan, listPlans } from './plans';
import { type FlagStreamEvent, type FlagStreamOptions, streamFlagChanges } from './stream';

export type { paths as FlaglineApiPaths } from './api-types/index';

type AuditExportQuery = NonNullable<paths['/api/admin/audit/export']['get']['parameters']['query']>;

export interface FlaglineClientOptions {
  /** e.g. http://127.0.0.1:4747 */
  url: string;
  /** API token (fl_…), or an OIDC access token. */
  token: string;
  fetch?: typeof fetch;
}

/** What openapi-fetch answers: the success body, or the error body the API documents for that route. */
type Outcome = { data?: unknown; error?: unknown; response: Response };
type Success<R extends Outcome> = Extract<R, { error?: never }>;

/** openapi-fetch sets `error` exactly when the answer was not a success (2xx). */
const succeeded = <R extends Outcome>(outcome: R): outcome is Success<R> => outcome.error === undefined;

/** The body of a successful answer; a failure becomes a FlaglineApiError with the API's code, details and request id. */
export async function unwrap<R extends Outcome>(pending: Promise<R>): Promise<Success<R>['data']> {
  const outcome = await pending;
  if (succeeded(outcome)) return outcome.data;
  throw FlaglineApiError.fromAnswer(outcome.response.status, outcome.error);
}

type Schemas = components['schemas'];

const isChangeRequestAccepted = (value: unknown): value is { changeRequest: ChangeRequest } =>
  typeof value === 'object' && value !== null && 'changeRequest' in value;

/**
 * The change a write made. In a protected environment the API answers 202 with a change request instead: that is
 * thrown as ChangeRequestPending, so callers that expect the change never read a request as if it were the result.
 */
export async function unwrapApplied<T>(pending: Promise<Outcome>): Promise<T> {
  const data: unknown = await unwrap(pending);
  if (isChangeRequestAccepted(data)) throw new ChangeRequestPending(data.changeRequest);
  // The documented 2xx bodies besides the 202 are the one each method names.
  return data as T;
}

/**
 * A typed client for every Flagline route. Paths, parameters, bodies and answers are those of the committed OpenAPI
 * document (`src/api-types/`, generated from the server's routes, which the @flagline/core Zod contracts define);
 * `api` is the underlying openapi-fetch client for anything the methods below do not cover. Failures throw
 * FlaglineApiError carrying the API's error code, field details and request id.
 */
export class FlaglineClient {
  readonly api: Client<paths>;
  private readonly base: string;

  constructor(options: FlaglineClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.api = createClient<paths>({
      baseUrl: this.base,
      headers: { authorization: `Bearer ${options.token}` },
      fetch: async (request) => {
        try {
          return await fetchImpl(request);
        } catch (error) {
          if (request.signal.aborted) throw error;
          throw new FlaglineApiError(
            0,
            'NETWORK',
            `Could not reach Flagline at ${this.base}: ${String(error)}`,
            undefined,
            undefined,
          );
        }
      },
    });
  }

  /**
   * The environment's live changes as an async iterator: a `snapshot` (or the `change`s missed since `lastEventId`),
   * then every `change` as it commits. It reconnects on its own with jittered exponential backoff, resuming from the
   * last event id, reporting `open` and `disconnected` as it goes; it ends when `signal` aborts.
   */
  stream(options: FlagStreamOptions = {}): AsyncGenerator<FlagStreamEvent> {
    return streamFlagChanges(this.api, options);
  }

  // Evaluation
  evaluateAll(userId?: string, environment?: string) {
    return unwrap(this.api.GET('/api/config/flags', { params: { query: { userId, environment } } }));
  }
  getPublicFlag(key: string, environment?: string) {
    return unwrap(
      this.api.GET('/api/config/flags/{flagKey}', { params: { path: { flagKey: key }, query: { environment } } }),
    );
  }
  /** Every flag evaluated by the server for one OpenFeature context (OFREP bulk evaluation). */
  evaluateContext(context: { targetingKey?: string; [attribute: string]: unknown } = {}) {
    return unwrap(this.api.POST('/ofrep/v1/evaluate/flags', { body: { context } }));
  }
  /** The ruleset for local evaluation; undefined when `etag` is still current (304). */
  async getRuleset(options: { environment?: string; etag?: string } = {}) {
    const outcome = await this.api.GET('/api/client/flags', {
      params: { query: { environment: options.environment } },
      headers: options.etag ? { 'if-none-match': options.etag } : {},
    });
    if (outcome.response.status === 304) return undefined;
    return { ruleset: await unwrap(Promise.resolve(outcome)), etag: outcome.response.headers.get('etag') ?? undefined };
  }

  // Flags
  listFlags(query: { environment?: string; q?: string; limit?: number; cursor?: string } = {}) {
    return unwrap(this.api.GET('/api/admin/flags', { params: { query } }));
  }
  createFlag(body: CreateFlagBody, environment?: string) {
    return unwrap(this.api.POST('/api/admin/flags', { body, params: { query: { environment } } }));
  }
  getFlag(key: string, environment?: string) {
    return unwrap(
      this.api.GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: key }, query: { environment } } }),
    );
  }
  updateFlag(
    key: string,
    body: { enabled?: boolean; rolloutPercentage?: number; description?: string },
    options: { environment?: string; ifMatch?: number; onConflict?: 'allow' | 'reject' } = {},
  ) {
    return unwrapApplied<Schemas['FlagViewWithConflicts']>(
      this.api.PATCH('/api/admin/flags/{flagKey}', {
        body,
        params: { path: { flagKey: key }, query: { environment: options.environment, onConflict: options.onConflict } },
        headers: options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) },
      }),
    );
  }
  /** Deletes the flag everywhere; when any environment is protected, throws ChangeRequestPending (four eyes). */
  async deleteFlag(key: string): Promise<void> {
    await unwrapApplied<undefined>(
      this.api.DELETE('/api/admin/flags/{flagKey}', { params: { path: { flagKey: key } } }),
    );
  }

  // Typed flags and targeting
  /** The flag's type, variants and its targeting in one environment (rules, fallthrough, off variant). */
  getTargeting(key: string, environment?: string) {
    return unwrap(
      this.api.GET('/api/admin/flags/{flagKey}/targeting', {
        params: { path: { flagKey: key }, query: { environment } },
      }),
    );
  }
  /** Replaces the given parts of the flag's targeting in one environment; `ifMatch` is the version read. */
  updateTargeting(
    key: string,
    patch: EnvironmentTargetingPatch,
    options: { environment?: string; ifMatch?: number; onConflict?: 'allow' | 'reject' } = {},
  ) {
    return unwrapApplied<Schemas['FlagTargetingWithConflicts']>(
      this.api.PATCH('/api/admin/flags/{flagKey}/targeting', {
        body: patch,
        params: { path: { flagKey: key }, query: { environment: options.environment, onConflict: options.onConflict } },
        headers: options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) },
      }),
    );
  }
  /**
   * Replaces the flag's variants (every environment serves from them); a variant still in use cannot go. When any
   * environment is protected, throws ChangeRequestPending.
   */
  setVariants(key: string, variants: Variant[]) {
    return unwrapApplied<Schemas['FlagVariants']>(
      this.api.PUT('/api/admin/flags/{flagKey}/variants', { body: { variants }, params: { path: { flagKey: key } } }),
    );
  }

  // Segments
  listSegments() {
    return unwrap(this.api.GET('/api/admin/segments'));
  }
  getSegment(key: string) {
    return unwrap(this.api.GET('/api/admin/segments/{segmentKey}', { params: { path: { segmentKey: key } } }));
  }
  createSegment(body: CreateSegmentBody) {
    return unwrap(this.api.POST('/api/admin/segments', { body }));
  }
  replaceSegment(key: string, body: ReplaceSegmentBody, options: { ifMatch?: number } = {}) {
    return unwrap(
      this.api.PUT('/api/admin/segments/{segmentKey}', {
        body,
        params: { path: { segmentKey: key } },
        headers: options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) },
      }),
    );
  }
  async deleteSegment(key: string, options: { ifMatch?: number } = {}): Promise<void> {
    await unwrap(
      this.api.DELETE('/api/admin/segments/{segmentKey}', {
        params: { path: { segmentKey: key } },
        headers: options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) },
      }),
    );
  }

  /** The flag's own audit events in one environment, newest first (its creation, edits, overrides, schedules). */
  flagHistory(
    key: string,
    query: NonNullable<paths['/api/admin/flags/{flagKey}/history']['get']['parameters']['query']> = {},
  ) {
    return unwrap(this.api.GET('/api/admin/flags/{flagKey}/history', { params: { path: { flagKey: key }, query } }));
  }

  // Overrides
  setOverride(
    key: string,
    body: { userId: string; overrideType: 'include' | 'exclude'; reason?: string },
    environment?: string,
  ) {
    return unwrapApplied<Schemas['Override']>(
      this.api.POST('/api/admin/flags/{flagKey}/users', {
        body,
        params: { path: { flagKey: key }, query: { environment } },
      }),
    );
  }
  async removeOverride(key: string, userId: string, environment?: string): Promise<void> {
    await unwrapApplied<undefined>(
      this.api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
        params: { path: { flagKey: key, userId }, query: { environment } },
      }),
    );
  }
  listOverrides(key: string, query: { environment?: string; page?: number; pageSize?: number } = {}) {
    return unwrap(this.api.GET('/api/admin/flags/{flagKey}/users', { params: { path: { flagKey: key }, query } }));
  }

  // Schedules
  createSchedule(
    key: string,
    body: paths['/api/admin/flags/{flagKey}/schedule']['post']['requestBody']['content']['application/json'],
    environment?: string,
    onConflict?: 'allow' | 'reject',
  ) {
    return unwrapApplied<Schemas['ScheduleCreated']>(
      this.api.POST('/api/admin/flags/{flagKey}/schedule', {
        body,
        params: { path: { flagKey: key }, query: { environment, onConflict } },
      }),
    );
  }
  listFlagSchedules(
    key: string,
    query: NonNullable<paths['/api/admin/flags/{flagKey}/schedule']['get']['parameters']['query']> = {},
  ) {
    return unwrap(this.api.GET('/api/admin/flags/{flagKey}/schedule', { params: { path: { flagKey: key }, query } }));
  }
  getSchedule(key: string, id: string) {
    return unwrap(
      this.api.GET('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
        params: { path: { flagKey: key, scheduleId: id } },
      }),
    );
  }
  cancelSchedule(key: string, id: string) {
    return unwrap(
      this.api.DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
        params: { path: { flagKey: key, scheduleId: id } },
      }),
    );
  }
  listSchedules(query: NonNullable<paths['/api/admin/schedules']['get']['parameters']['query']> = {}) {
    return unwrap(this.api.GET('/api/admin/schedules', { params: { query } }));
  }
  /** The next 10 occurrences a cron or window would have, checked as creating the schedule checks it. */
  previewRecurrence(body: RecurrencePreviewBody) {
    return unwrap(this.api.POST('/api/admin/schedules/preview', { body }));
  }

  // Rollout plans (plans.ts)
  createPlan(key: string, body: Schemas['CreatePlanBody'], options: CreatePlanOptions = {}) {
    return createPlan(this.api, key, body, options);
  }
  listPlans(key: string, query: Parameters<typeof listPlans>[2] = {}) {
    return listPlans(this.api, key, query);
  }
  getPlan = (key: string, planId: string) => getPlan(this.api, key, planId);
  pausePlan = (key: string, planId: string) => actOnPlan(this.api, 'pause', key, planId);
  resumePlan = (key: string, planId: string, onConflict?: 'reject') =>
    actOnPlan(this.api, 'resume', key, planId, onConflict);
  cancelPlan = (key: string, planId: string) => actOnPlan(this.api, 'cancel', key, planId);

  // Audit
  listAudit(query: NonNullable<paths['/api/admin/audit']['get']['parameters']['query']> = {}) {
    return unwrap(this.api.GET('/api/admin/audit', { params: { query } }));
  }
  getAuditEvent(id: string) {
    return unwrap(this.api.GET('/api/admin/audit/{id}', { params: { path: { id } } }));
  }
  verifyAudit() {
    return unwrap(this.api.GET('/api/admin/audit/verify'));
  }
  /** The export as a stream (NDJSON or CSV). */
  async exportAudit(query: AuditExportQuery = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.exportAuditResponse(query);
    if (!response.body) throw new FlaglineApiError(200, 'INTERNAL', 'The export had no body.', undefined, undefined);
    return response.body;
  }
  /** The export's whole answer, for saving it as a file under the name its Content-Disposition gives. */
  async exportAuditResponse(query: AuditExportQuery = {}): Promise<Response> {
    const outcome = this.api.GET('/api/admin/audit/export', { params: { query }, parseAs: 'stream' });
    await unwrap(outcome);
    return (await outcome).response;
  }

  // Who am I, environments, tokens, webhooks
  /** The role, bound environment and audit actor of this client's token. */
  me() {
    return unwrap(this.api.GET('/api/admin/me'));
  }
  listEnvironments() {
    return unwrap(this.api.GET('/api/admin/environments'));
  }
  createEnvironment(body: { key: string; name?: string }) {
    return unwrap(this.api.POST('/api/admin/environments', { body }));
  }
  /** Renames or protects an environment; turning protection off throws ChangeRequestPending (a second admin approves). */
  updateEnvironment(key: string, body: { name?: string; protected?: boolean }) {
    return unwrapApplied<Schemas['Environment']>(
      this.api.PATCH('/api/admin/environments/{key}', { body, params: { path: { key } } }),
    );
  }

  // Change requests (four-eyes approval in protected environments)
  listChangeRequests(query: Partial<ListChangeRequestsQuery> = {}) {
    return unwrap(this.api.GET('/api/admin/change-requests', { params: { query } }));
  }
  getChangeRequest(id: string) {
    return unwrap(this.api.GET('/api/admin/change-requests/{id}', { params: { path: { id } } }));
  }
  /** Approves another admin's request: the change is made now (a schedule is armed). */
  approveChangeRequest(id: string, body: DecideChangeRequestBody = {}) {
    return unwrap(this.api.POST('/api/admin/change-requests/{id}/approve', { body, params: { path: { id } } }));
  }
  rejectChangeRequest(id: string, body: DecideChangeRequestBody = {}) {
    return unwrap(this.api.POST('/api/admin/change-requests/{id}/reject', { body, params: { path: { id } } }));
  }
  listTokens() {
    return unwrap(this.api.GET('/api/admin/tokens'));
  }
  createToken(body: paths['/api/admin/tokens']['post']['requestBody']['content']['application/json']) {
    return unwrap(this.api.POST('/api/admin/tokens', { body }));
  }
  async revokeToken(id: string): Promise<void> {
    await unwrap(this.api.DELETE('/api/admin/tokens/{id}', { params: { path: { id } } }));
  }
  listWebhooks() {
    return unwrap(this.api.GET('/api/admin/webhooks'));
  }
  createWebhook(body: paths['/api/admin/webhooks']['post']['requestBody']['content']['application/json']) {
    return unwrap(this.api.POST('/api/admin/webhooks', { body }));
  }
  getWebhook(id: string) {
    return unwrap(this.api.GET('/api/admin/webhooks/{id}', { params: { path: { id } } }));
  }
  listWebhookDeliveries(id: string, limit?: number) {
    return unwrap(this.api.GET('/api/admin/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit } } }));
  }
  async deleteWebhook(id: string): Promise<void> {
    await unwrap(this.api.DELETE('/api/admin/webhooks/{id}', { params: { path: { id } } }));
  }
}
