import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { documentationPolicy } from '../../src/http/security-headers';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { APP_SETUP_TIMEOUT_MS, expectError, expectStatus, listenOnLoopback } from '../helpers/http';

const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';
const METRICS_TOKEN = 'metrics-scraper-secret-0123456789';

/** The CSP as a map of directive → sources. */
function directives(header: string | null): Map<string, string[]> {
  expect(header, 'Content-Security-Policy header').toBeTruthy();
  return new Map(
    (header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

function expectPageHeaders(headers: Headers): Map<string, string[]> {
  const policy = directives(headers.get('content-security-policy'));
  expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  expect(policy.get('object-src')).toEqual(["'none'"]);
  expect(policy.get('base-uri')).toEqual(["'none'"]);
  expect(policy.get('default-src')).toEqual(["'self'"]);
  expect(policy.get('script-src')).not.toContain("'unsafe-inline'");
  expect(policy.get('script-src')).not.toContain("'unsafe-eval'");
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  return policy;
}

// Pages, assets, /docs, /metrics and /healthz are not API routes the OpenAPI document describes: they stay raw.
describe('security headers and the metrics token', () => {
  let open: TestApp;
  let guarded: TestApp;

  beforeAll(async () => {
    [open, guarded] = await Promise.all([
      createTestApp('pglite'),
      createTestApp('pglite', { METRICS_TOKEN: METRICS_TOKEN }),
    ]);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([open?.close(), guarded?.close()]);
  });

  it.each(['/', '/flags/new-checkout', '/audit'])('sends the strict UI policy with the page %s', async (path) => {
    const response = await open.request('GET', path, { token: null, headers: { accept: HTML } });
    expect(response.status).toBe(200);
    const policy = expectPageHeaders(response.headers);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
  });

  it('sends the same headers with the UI assets and a missing file', async () => {
    const index = await open.request<string>('GET', '/', { token: null, headers: { accept: HTML } });
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(script).toBeDefined();
    const asset = await open.request('GET', script ?? '', { token: null });
    expect(asset.status).toBe(200);
    expectPageHeaders(asset.headers);
    const missing = await open.request('GET', '/assets/missing.js', { token: null });
    expect(missing.status).toBe(404);
    expectPageHeaders(missing.headers);
  });

  it('gives /docs a policy allowing exactly its own scripts, and the other headers', async () => {
    // Over a socket: the Node adapter once dropped the policy that app.request() showed.
    const server = await listenOnLoopback(open.app);
    const response = await fetch(`${server.url}/docs`, { headers: { accept: HTML } }).finally(() => server.close());
    expect(response.status).toBe(200);
    const policy = expectPageHeaders(response.headers);
    const scriptSources = policy.get('script-src') ?? [];
    const scripts = [...(await response.text()).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      const source = /\bsrc="([^"]+)"/.exec(attributes)?.[1];
      const allowedAs = source
        ? new URL(source, 'http://127.0.0.1/').origin === 'http://127.0.0.1'
          ? "'self'"
          : new URL(source).origin
        : `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
      expect(scriptSources).toContain(allowedAs);
    }
  });

  it('sends nosniff and no framing with the other non-API routes', async () => {
    for (const path of ['/openapi.json', '/metrics', '/healthz']) {
      const response = await open.request('GET', path, { token: null });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expectPageHeaders(response.headers);
    }
  });

  it("leaves the origin's API responses as they were", async () => {
    const response = await answer(
      apiClient(open, open.tokens.client).GET('/api/config/flags', { params: { query: { userId: 'u1' } } }),
    );
    expectStatus(response, 200);
    expect(response.headers.get('content-security-policy')).toBeNull();
    expect(response.headers.get('x-frame-options')).toBeNull();
  });

  it('builds the documentation policy from the inline and external scripts of the page', () => {
    const inline = 'start({ url: "/openapi.json" })';
    const policy = directives(
      documentationPolicy(
        `<script src="https://cdn.example.net/npm/x.js"></script><script src="/docs/local.js"></script>` +
          `<script type="text/javascript">${inline}</script>`,
      ),
    );
    expect(policy.get('script-src')).toEqual([
      "'self'",
      'https://cdn.example.net',
      `'sha256-${createHash('sha256').update(inline).digest('base64')}'`,
    ]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('serves /metrics to anyone when METRICS_TOKEN is not set', async () => {
    const response = await open.request<string>('GET', '/metrics', { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toContain('flagline_http_request_duration_seconds');
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer metrics-scraper-secret-0123456780'],
    ['an admin API token', 'admin'],
    ['the token without "Bearer"', METRICS_TOKEN],
    ['the token with another scheme', `Basic ${METRICS_TOKEN}`],
  ])('answers 401 UNAUTHORIZED on /metrics for %s when METRICS_TOKEN is set', async (_name, authorization) => {
    const value = authorization === 'admin' ? `Bearer ${guarded.tokens.admin}` : authorization;
    const response = await guarded.request('GET', '/metrics', {
      token: null,
      headers: value === undefined ? {} : { authorization: value },
    });
    const body = expectError(response, 401, 'UNAUTHORIZED');
    expect(body.message).toContain('METRICS_TOKEN');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(JSON.stringify(body)).not.toContain('flagline_');
  });

  it('serves /metrics to a scraper sending METRICS_TOKEN as a bearer token', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const response = await guarded.request<string>('GET', '/metrics', {
        token: null,
        headers: { authorization: `${scheme} ${METRICS_TOKEN}` },
      });
      expect(response.status).toBe(200);
      expect(response.body).toContain('flagline_http_request_duration_seconds');
    }
  });

  it('refuses a METRICS_TOKEN too short to be a secret, naming the variable', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
  });
});
