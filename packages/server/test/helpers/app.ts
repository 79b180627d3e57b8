import pino, { type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/app';
import { type Config, loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/http/deps';
import { unitOfWork } from '../../src/http/deps';
import { composeRuntime } from '../../src/runtime';
import { createToken } from '../../src/tokens/token-service';
import { type Backend, createTestDatabase, type TestDatabase } from './database';
import { APP_SETUP_TIMEOUT_MS } from './http';

export interface TestResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  backend: Backend;
  deps: AppDeps;
  testDatabase: TestDatabase;
  app: ReturnType<typeof createApp>;
  tokens: { admin: string; viewer: string; client: string; developmentClient: string };
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

/**
 * The app on a fresh, migrated database with one token per role, exercised in process through `app.request()`.
 * Logs go nowhere unless a `logger` is given (tests that read the logs pass one writing to memory).
 */
export async function createTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<TestApp> {
  const testDatabase = await createTestDatabase(backend);
  // In process every request comes from one 'unknown' address: suites that send many bad tokens on purpose would trip
  // the failed-authentication limit, which has its own tests (auth-hardening.test.ts).
  const config: Config = loadConfig({
    LOG_LEVEL: 'silent',
    SNAPSHOT_POLL_MS: '200',
    AUTH_FAILURES_PER_MINUTE: '0',
    ...env,
  });
  const logger = options.logger ?? pino({ level: 'silent' });
  // The runtime `flagline serve` composes, on the test's own database.
  const runtime = await composeRuntime(testDatabase.database, config, logger);
  const { stop, ...deps } = runtime;
  const uow = unitOfWork(deps);
  const setup = { actor: { type: 'system' as const, id: 'test-setup', email: null }, requestId: null };
  const make = async (role: 'admin' | 'viewer' | 'client', environment?: string) =>
    (await createToken(uow, setup, { name: `test ${role}`, role, ...(environment ? { environment } : {}) })).secret;
  const tokens = {
    admin: await make('admin'),
    viewer: await make('viewer'),
    client: await make('client', 'production'),
    developmentClient: await make('client', 'development'),
  };
  const app = createApp(deps);
  return {
    backend,
    deps,
    testDatabase,
    app,
    tokens,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? tokens.admin : options.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
      const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (e.g. the /docs page): keep the text
      }
      return { status: response.status, body: parsed as T, headers: response.headers };
    },
    async close() {
      await stop();
      await testDatabase.drop();
    },
  };
}

/**
 * The test app of the enclosing describe: the returned object is filled in by its beforeAll and closed by its
 * afterAll, so the tests can name it directly.
 */
export function useTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): TestApp {
  const t = {} as TestApp;
  beforeAll(async () => {
    Object.assign(t, await createTestApp(backend, env, options));
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close?.();
  });
  return t;
}
