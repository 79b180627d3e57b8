import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuditEvent, type ErrorBody, type ErrorCode, errorBodySchema } from '@flagline/core';
import { getRequestListener } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { operations } from '../../../sdk/src/api-types/index';
import { hashTokenSecret } from '../../src/auth/secrets';
import { apiTokens } from '../../src/db/schema';
import { answer, apiClient } from './api-client';
import type { TestApp, TestResponse } from './app';

/**
 * For hooks that build a test app: a fresh PGlite takes a few seconds, but on a 2-core machine shared with other
 * suites (process and multi-instance tests) it has taken over a minute, past Vitest's default hook timeout.
 */
export const APP_SETUP_TIMEOUT_MS = 180_000;

/** Asserts the status, the error code and the design's error shape (requestId = the X-Request-Id header). */
export function expectError(response: TestResponse, status: number, code: ErrorCode): ErrorBody {
  // status and body together, so a failure prints what the server actually said
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { error: code } });
  const body = errorBodySchema.parse(response.body);
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.requestId).toBe(response.headers.get('x-request-id'));
  return body;
}

/** A 400 VALIDATION_FAILED whose details name `field`; returns the reason given for it. */
export function expectFieldError(response: TestResponse, field: string, location?: string): string {
  const body = expectError(response, 400, 'VALIDATION_FAILED');
  const details = body.details as { location?: string; fields?: Record<string, string> } | undefined;
  expect(details?.fields, `details.fields of ${JSON.stringify(body)}`).toHaveProperty([field]);
  if (location !== undefined) expect(details?.location).toBe(location);
  return details?.fields?.[field] ?? '';
}

/** Asserts a 2xx/3xx status, printing the body when it is not. */
export function expectStatus<T>(response: TestResponse<T>, status: number): T {
  expect({ status: response.status, body: response.body }).toMatchObject({ status });
  return response.body;
}

/** The audit list's filters, as the route declares them. */
export type AuditQuery = NonNullable<operations['listAuditEvents']['parameters']['query']>;

/** The newest audit events matching `query` (newest first, up to 500). */
export async function auditEvents(t: TestApp, query: AuditQuery = {}): Promise<AuditEvent[]> {
  const response = await answer(apiClient(t).GET('/api/admin/audit', { params: { query: { limit: 500, ...query } } }));
  return expectStatus(response, 200).items;
}

/** The id of the newest audit event (0 when there is none): a mark to find what a request wrote after it. */
export async function auditMark(t: TestApp): Promise<bigint> {
  const [newest] = await auditEvents(t, { limit: 1 });
  return newest ? BigInt(newest.id) : 0n;
}

/** Events written after `mark`, oldest first. */
export async function auditSince(t: TestApp, mark: bigint): Promise<AuditEvent[]> {
  return (await auditEvents(t)).filter((event) => BigInt(event.id) > mark).reverse();
}

/** The id of the API token behind a secret (what audit events name as the actor). */
export async function tokenIdOf(t: TestApp, secret: string): Promise<string> {
  const [row] = await t.deps.database.db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, hashTokenSecret(secret)));
  if (!row) throw new Error('no token with that secret');
  return row.id;
}

/**
 * The app behind a real socket and the Node adapter, as browsers reach it: some responses (streamed files, rewritten
 * bodies) behave differently there than through `app.request()`.
 */
export async function listenOnLoopback(app: TestApp['app']): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
