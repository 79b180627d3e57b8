import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../../sdk/src/api-types/index';
import type { TestApp, TestResponse } from './app';

/**
 * A client typed by the routes (the committed OpenAPI document's generated types, as the SDK uses them) that calls
 * the test app in process: paths, path and query parameters and bodies are checked by the compiler, so a test cannot
 * drift from the contract. Requests that are wrong on purpose (bad types, unknown fields, raw bodies) stay on
 * `t.request`.
 */
export function apiClient(t: TestApp, token: string | null = t.tokens.admin): Client<paths> {
  return createClient<paths>({
    baseUrl: 'http://localhost',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: async (request) => t.app.request(request),
  });
}

type Outcome = { data?: unknown; error?: unknown; response: Response };
/**
 * The success body, less the 202 of a protected environment's change request: tests that expect a change read it as
 * the change; those about approval read the request through `changeRequestOf`.
 */
type Success<R extends Outcome> = Exclude<Extract<R, { error?: never }>['data'], { changeRequest: unknown }>;

/**
 * The answer in the shape the assertion helpers take (expectStatus, expectError): `body` is the success body, typed
 * by the route, or on an error status the error body (assert the status first, as expectStatus does); null when the
 * answer had none.
 */
export async function answer<R extends Outcome>(pending: Promise<R>): Promise<TestResponse<Success<R>>> {
  const { data, error, response } = await pending;
  return { status: response.status, body: (data ?? error ?? null) as Success<R>, headers: response.headers };
}
