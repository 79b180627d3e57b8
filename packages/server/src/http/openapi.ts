import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from './context';
import { CHANGED_ENVIRONMENT_HEADER } from './deps';

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;
type Responses = Record<string, { description?: string; headers?: Record<string, unknown>; content?: unknown }>;
/** The document's own type for its shared responses (what the loose `Responses` above are written into). */
type ComponentResponses = NonNullable<NonNullable<OpenApiDocument['components']>['responses']>;
type Operation = { operationId?: string; responses?: Responses };

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ description, schema });

/** Headers the error mapping (error-response.ts) and the request-id middleware put on responses. */
const HEADERS = {
  'X-Request-Id': header('The id of this request: echoed from the request when it sent a valid one, else generated.'),
  'Retry-After': header('Seconds to wait before trying again.', { type: 'integer', minimum: 1 }),
  'WWW-Authenticate': header(
    '`Bearer realm="flagline"`, with `error="invalid_token"` when a token was sent and refused.',
  ),
  [CHANGED_ENVIRONMENT_HEADER]: header(
    'The environment this write changed: `?environment=`, else FLAGLINE_DEFAULT_ENVIRONMENT (a client token’s own).',
  ),
};

/** The writes that change one environment and say which in a header (deps.ts `resolveWriteEnvironment`, cancel). */
export const ENVIRONMENT_WRITES: ReadonlySet<string> = new Set([
  'updateFlag',
  'updateFlagByPost',
  'updateFlagTargeting',
  'setOverride',
  'removeOverride',
  'createSchedule',
  'cancelSchedule',
]);
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

const serverErrors = {
  500: 'An unexpected error; it was logged with the request id.',
  503: 'The database (or the identity provider’s signing keys) cannot be reached; try again after Retry-After.',
} as const;

/** The component name of each error status's common answer (the first description seen for it is the shared one). */
const SHARED_ERRORS: Record<string, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'Unavailable',
};

/**
 * Cross-cutting parts of every operation, added in one place rather than on each route: the request-id header on
 * every response, the 5xx answers any route can give, Retry-After / WWW-Authenticate where the error mapping sets them,
 * and the RFC 9457 form of every error. Routes declare what is specific to them (their ETag, their 4xx).
 */
function addConventions(document: OpenApiDocument): OpenApiDocument {
  const sharedResponses: Record<string, Responses[string]> = {};
  const errorContent = {
    'application/json': { schema: { $ref: '#/components/schemas/Error' } },
    'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
  };
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(pathItem as Record<string, Operation>)) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      const responses = operation.responses;
      const changesEnvironment = ENVIRONMENT_WRITES.has(operation.operationId ?? '');
      for (const [status, description] of Object.entries(serverErrors)) {
        responses[status] ??= { description };
      }
      for (const [status, response] of Object.entries(responses)) {
        if ('$ref' in response) continue;
        const headers: Record<string, unknown> = { ...response.headers, 'X-Request-Id': ref('X-Request-Id') };
        if (status === '429' || status === '503') headers['Retry-After'] = ref('Retry-After');
        if (status === '401') headers['WWW-Authenticate'] = ref('WWW-Authenticate');
        if (changesEnvironment && status.startsWith('2'))
          headers[CHANGED_ENVIRONMENT_HEADER] = ref(CHANGED_ENVIRONMENT_HEADER);
        response.headers = headers;
        if (Number(status) >= 400) response.content = errorContent;
      }
      // Error answers that read the same on every route are declared once and referenced: the document, and the
      // client types generated from it, then hold each such answer once instead of once per operation.
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || '$ref' in response) continue;
        const name = SHARED_ERRORS[status];
        if (!name) continue;
        sharedResponses[name] ??= response;
        const shared = sharedResponses[name];
        if (JSON.stringify(shared) === JSON.stringify(response)) {
          responses[status] = { $ref: `#/components/responses/${name}` } as unknown as Responses[string];
        }
      }
    }
  }
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, ...HEADERS },
    responses: { ...document.components?.responses, ...(sharedResponses as ComponentResponses) },
  };
  return document;
}

/** The OpenAPI document of every route registered on `app`, built once. */
export function openApiDocument(app: OpenAPIHono<AppEnv>, version: string): () => OpenApiDocument {
  let built: OpenApiDocument | undefined;
  return () => {
    built ??= addConventions(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Flagline API',
          version,
          description: 'Feature flags with scheduled changes and a tamper-evident audit trail.',
          license: { name: 'MIT' },
        },
        servers: [{ url: '/', description: 'The Flagline server that serves this document' }],
      }),
    );
    return built;
  };
}

/** The entity-tag header of a response that sets one, for routes to declare. */
export const etagHeader = (description: string) => z.object({ ETag: z.string().meta({ description }) });
