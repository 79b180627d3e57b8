import type {
  AuditEvent,
  AuditFilter,
  AuditPage,
  AuditVerification,
  CreatedToken,
  CreatedWebhook,
  CreateEnvironmentBody,
  CreateFlagBody,
  CreateScheduleBody,
  CreateTokenBody,
  CreateWebhookBody,
  Environment,
  ErrorBody,
  FlagPage,
  FlagView,
  ListSchedulesQuery,
  Override,
  OverrideList,
  PrincipalView,
  PublicFlag,
  Ruleset,
  Schedule,
  SchedulePage,
  ScheduleStatus,
  SetOverrideBody,
  Token,
  UpdateFlagBody,
  Webhook,
  WebhookDelivery,
} from '@flagline/core';
import { FlaglineApiError } from './errors';

export interface FlaglineClientOptions {
  /** e.g. http://127.0.0.1:4747 */
  url: string;
  /** API token (fl_…), or an OIDC access token. */
  token: string;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined | null>;

/**
 * A typed client for every Flagline route. Shapes come from @flagline/core, the same Zod contracts the server
 * validates with; failures throw FlaglineApiError carrying the API's error code, field details and request id.
 */
export class FlaglineClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: FlaglineClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Low-level request: JSON in, JSON out, typed errors. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The raw response for a successful request (e.g. a streamed export or a 304). */
  async send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      throw new FlaglineApiError(
        0,
        'NETWORK',
        `Could not reach Flagline at ${this.base}: ${String(error)}`,
        undefined,
        undefined,
      );
    }
    if (response.ok || response.status === 304) return response;
    let body: Partial<ErrorBody> | undefined;
    try {
      body = (await response.json()) as Partial<ErrorBody>;
    } catch {
      body = undefined;
    }
    throw FlaglineApiError.fromBody(response.status, body);
  }

  // Evaluation
  evaluateAll(userId?: string, environment?: string) {
    return this.request<Record<string, boolean>>('GET', '/api/config/flags', { query: { userId, environment } });
  }
  getPublicFlag(key: string, environment?: string) {
    return this.request<PublicFlag>('GET', `/api/config/flags/${encodeURIComponent(key)}`, { query: { environment } });
  }
  /** The ruleset for local evaluation; undefined when `etag` is still current (304). */
  async getRuleset(options: { environment?: string; etag?: string } = {}) {
    const response = await this.send('GET', '/api/client/flags', {
      query: { environment: options.environment },
      headers: options.etag ? { 'if-none-match': options.etag } : {},
    });
    if (response.status === 304) return undefined;
    return { ruleset: (await response.json()) as Ruleset, etag: response.headers.get('etag') ?? undefined };
  }

  // Flags
  listFlags(query: { environment?: string; q?: string; limit?: number; cursor?: string } = {}) {
    return this.request<FlagPage>('GET', '/api/admin/flags', { query });
  }
  createFlag(body: CreateFlagBody, environment?: string) {
    return this.request<FlagView>('POST', '/api/admin/flags', { body, query: { environment } });
  }
  getFlag(key: string, environment?: string) {
    return this.request<FlagView>('GET', `/api/admin/flags/${encodeURIComponent(key)}`, { query: { environment } });
  }
  updateFlag(key: string, body: UpdateFlagBody, options: { environment?: string; ifMatch?: number } = {}) {
    return this.request<FlagView>('PATCH', `/api/admin/flags/${encodeURIComponent(key)}`, {
      body,
      query: { environment: options.environment },
      headers: options.ifMatch === undefined ? {} : { 'if-match': String(options.ifMatch) },
    });
  }
  deleteFlag(key: string) {
    return this.request<void>('DELETE', `/api/admin/flags/${encodeURIComponent(key)}`);
  }

  // Overrides
  setOverride(key: string, body: SetOverrideBody, environment?: string) {
    return this.request<Override>('POST', `/api/admin/flags/${encodeURIComponent(key)}/users`, {
      body,
      query: { environment },
    });
  }
  removeOverride(key: string, userId: string, environment?: string) {
    return this.request<void>(
      'DELETE',
      `/api/admin/flags/${encodeURIComponent(key)}/users/${encodeURIComponent(userId)}`,
      { query: { environment } },
    );
  }
  listOverrides(key: string, query: { environment?: string; page?: number; pageSize?: number } = {}) {
    return this.request<OverrideList>('GET', `/api/admin/flags/${encodeURIComponent(key)}/users`, { query });
  }

  // Schedules
  createSchedule(key: string, body: CreateScheduleBody, environment?: string) {
    return this.request<Schedule>('POST', `/api/admin/flags/${encodeURIComponent(key)}/schedule`, {
      body,
      query: { environment },
    });
  }
  listFlagSchedules(key: string, query: { environment?: string; status?: ScheduleStatus } = {}) {
    return this.request<Schedule[]>('GET', `/api/admin/flags/${encodeURIComponent(key)}/schedule`, { query });
  }
  getSchedule(key: string, id: string) {
    return this.request<Schedule>(
      'GET',
      `/api/admin/flags/${encodeURIComponent(key)}/schedule/${encodeURIComponent(id)}`,
    );
  }
  cancelSchedule(key: string, id: string) {
    return this.request<Schedule>(
      'DELETE',
      `/api/admin/flags/${encodeURIComponent(key)}/schedule/${encodeURIComponent(id)}`,
    );
  }
  listSchedules(query: Partial<ListSchedulesQuery> = {}) {
    return this.request<SchedulePage>('GET', '/api/admin/schedules', { query });
  }

  // Audit
  listAudit(query: AuditFilter & { limit?: number; cursor?: string } = {}) {
    return this.request<AuditPage>('GET', '/api/admin/audit', { query });
  }
  getAuditEvent(id: string) {
    return this.request<AuditEvent>('GET', `/api/admin/audit/${encodeURIComponent(id)}`);
  }
  verifyAudit() {
    return this.request<AuditVerification>('GET', '/api/admin/audit/verify');
  }
  /** The export as a stream (NDJSON or CSV). */
  async exportAudit(query: AuditFilter & { format?: 'ndjson' | 'csv' } = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', '/api/admin/audit/export', { query });
    if (!response.body)
      throw new FlaglineApiError(response.status, 'INTERNAL', 'The export had no body.', undefined, undefined);
    return response.body;
  }

  // Who am I, environments, tokens, webhooks
  /** The role, bound environment and audit actor of this client's token. */
  me() {
    return this.request<PrincipalView>('GET', '/api/admin/me');
  }
  listEnvironments() {
    return this.request<{ items: Environment[] }>('GET', '/api/admin/environments');
  }
  createEnvironment(body: CreateEnvironmentBody) {
    return this.request<Environment>('POST', '/api/admin/environments', { body });
  }
  listTokens() {
    return this.request<{ items: Token[] }>('GET', '/api/admin/tokens');
  }
  createToken(body: CreateTokenBody) {
    return this.request<CreatedToken>('POST', '/api/admin/tokens', { body });
  }
  revokeToken(id: string) {
    return this.request<void>('DELETE', `/api/admin/tokens/${encodeURIComponent(id)}`);
  }
  listWebhooks() {
    return this.request<{ items: Webhook[] }>('GET', '/api/admin/webhooks');
  }
  createWebhook(body: CreateWebhookBody) {
    return this.request<CreatedWebhook>('POST', '/api/admin/webhooks', { body });
  }
  getWebhook(id: string) {
    return this.request<Webhook>('GET', `/api/admin/webhooks/${encodeURIComponent(id)}`);
  }
  listWebhookDeliveries(id: string, limit?: number) {
    return this.request<{ items: WebhookDelivery[] }>(
      'GET',
      `/api/admin/webhooks/${encodeURIComponent(id)}/deliveries`,
      {
        query: { limit },
      },
    );
  }
  deleteWebhook(id: string) {
    return this.request<void>('DELETE', `/api/admin/webhooks/${encodeURIComponent(id)}`);
  }
}
