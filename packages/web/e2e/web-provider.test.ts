import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlaglineClient } from '@flagline/sdk';
import { loadConfig, startServer } from '@flagline/server';
import react from '@vitejs/plugin-react';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, resolveChromium } from './browser';
import type { PageConfig, PageState } from './web-provider-page/main';

/**
 * `@flagline/sdk/web` in Chromium: a page on its own origin (bundled by Vite from ./web-provider-page) evaluates
 * through the official OFREP web provider with a frontend token, across origins (the token's allowedOrigins), and
 * follows a change made through the admin API live, in the plain web SDK and in @openfeature/react-sdk's hooks.
 */

const ADMIN_TOKEN = randomBytes(24).toString('base64url');
const pageRoot = fileURLToPath(new URL('./web-provider-page', import.meta.url));
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

let api: { url: string; close(): Promise<void> };
let admin: FlaglineClient;
let pageServer: Server;
let pageOrigin: string;
let outDir: string;
let browser: Browser;
const pageErrors: string[] = [];

async function bundlePage(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flagline-web-provider-'));
  await build({
    configFile: false,
    root: pageRoot,
    logLevel: 'silent',
    plugins: [react()],
    // The SDK's TypeScript sources, as everywhere in the tests, so the page never runs a stale build.
    resolve: { conditions: ['@repo/source', ...defaultClientConditions] },
    build: { outDir: dir, emptyOutDir: true, minify: false },
  });
  return dir;
}

function serveStatic(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(new URL(request.url ?? '/', 'http://page').pathname).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(dir, path === '/' ? 'index.html' : path));
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(path) || '.html'] ?? 'application/octet-stream',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function openPage(config: PageConfig): Promise<Page> {
  const context = await browser.newContext();
  // As JSON: the evaluation context's recursive type is more than Playwright's argument typing can unfold.
  await context.addInitScript((json: string) => {
    window.flaglineConfig = JSON.parse(json) as PageConfig;
  }, JSON.stringify(config));
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageOrigin);
  await page.waitForFunction(() => window.flagline?.status !== 'loading', undefined, { timeout: 10_000 });
  return page;
}

const stateOf = (page: Page): Promise<PageState> => page.evaluate(() => window.flagline);

beforeAll(async () => {
  const resolved = await resolveChromium();
  console.log(`web provider e2e: browser ${resolved.description}`);
  outDir = await bundlePage();
  pageServer = await serveStatic(outDir);
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
  api = await startServer(
    loadConfig({ FLAGLINE_DATA_DIR: 'memory:', PORT: '0', FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  // Another port, so another origin: every API call from the page is a CORS request.
  expect(new URL(api.url).origin).not.toBe(pageOrigin);
  admin = new FlaglineClient({ url: api.url, token: ADMIN_TOKEN });

  await admin.createFlag({ key: 'new-checkout' });
  await admin.updateTargeting('new-checkout', {
    enabled: true,
    rolloutPercentage: 0,
    rules: [
      {
        id: 'pro-plan',
        constraints: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }],
        segments: [],
        serve: { variant: 'on' },
      },
    ],
  });
  await admin.createFlag({
    key: 'greeting',
    type: 'string',
    variants: [
      { key: 'hello', value: 'Hello' },
      { key: 'hallo', value: 'Hallo' },
    ],
  });
  await admin.updateTargeting('greeting', {
    enabled: true,
    offVariant: 'hello',
    rules: [
      {
        id: 'german',
        constraints: [{ attribute: 'country', operator: 'IN', values: ['de', 'at'], caseInsensitive: true }],
        segments: [],
        serve: { variant: 'hallo' },
      },
    ],
    fallthrough: { variant: 'hello' },
  });
  await admin.createFlag({
    key: 'page-size',
    type: 'number',
    variants: [
      { key: 'small', value: 10 },
      { key: 'large', value: 50 },
    ],
  });
  await admin.updateTargeting('page-size', {
    enabled: true,
    offVariant: 'small',
    rules: [
      {
        id: 'big-screens',
        constraints: [{ attribute: 'screenWidth', operator: 'NUM_GTE', values: ['1200'] }],
        segments: [],
        serve: { variant: 'large' },
      },
    ],
    fallthrough: { variant: 'small' },
  });
  await admin.createFlag({
    key: 'theme',
    type: 'json',
    variants: [
      { key: 'light', value: { background: '#fff', accent: 'blue' } },
      { key: 'dark', value: { background: '#000', accent: 'orange' } },
    ],
  });
  await admin.updateTargeting('theme', {
    enabled: true,
    offVariant: 'light',
    rules: [
      {
        id: 'night-owls',
        constraints: [{ attribute: 'prefersDark', operator: 'IN', values: ['true'] }],
        segments: [],
        serve: { variant: 'dark' },
      },
    ],
    fallthrough: { variant: 'light' },
  });

  browser = await launchChromium(resolved);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('@flagline/sdk/web in Chromium', () => {
  it('evaluates every type with targeting rules across origins and follows an admin change within 2 s', async () => {
    const frontend = await admin.createToken({
      name: 'web page',
      role: 'frontend',
      environment: 'production',
      allowedOrigins: [pageOrigin],
    });
    const page = await openPage({
      url: api.url,
      token: frontend.secret,
      context: { targetingKey: 'ann', plan: 'pro', country: 'DE', screenWidth: 1440, prefersDark: 'true' },
    });
    const state = await stateOf(page);
    expect(state.error).toBeUndefined();
    expect(state.status).toBe('ready');
    expect(state.values).toEqual({
      checkout: true,
      greeting: 'Hallo',
      pageSize: 50,
      theme: { background: '#000', accent: 'orange' },
    });
    // The React component reads the same provider through the standard hook.
    await expect.poll(() => page.locator('#react-greeting').textContent()).toBe('Hallo');

    const changedAt = Date.now();
    await admin.setVariants('greeting', [
      { key: 'hello', value: 'Hello' },
      { key: 'hallo', value: 'Servus' },
    ]);
    await page.waitForFunction(() => window.flagline.values.greeting === 'Servus', undefined, { timeout: 2_000 });
    await page.locator('#react-greeting', { hasText: 'Servus' }).waitFor({ timeout: 2_000 });
    expect(Date.now() - changedAt).toBeLessThan(2_000);
    const after = await stateOf(page);
    expect(after.changes).toContainEqual(['greeting']);
    expect(after.values).toMatchObject({ checkout: true, pageSize: 50 });

    await admin.updateTargeting('new-checkout', { enabled: false });
    await page.waitForFunction(() => window.flagline.values.checkout === false, undefined, { timeout: 2_000 });
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('a context outside the rules gets the fallthrough values', async () => {
    const frontend = await admin.createToken({
      name: 'web page, other user',
      role: 'frontend',
      environment: 'production',
      allowedOrigins: [pageOrigin],
    });
    const page = await openPage({
      url: api.url,
      token: frontend.secret,
      context: { targetingKey: 'bob', plan: 'free', country: 'fr', screenWidth: 800 },
    });
    expect(await stateOf(page)).toMatchObject({
      status: 'ready',
      values: { checkout: false, greeting: 'Hello', pageSize: 10, theme: { background: '#fff', accent: 'blue' } },
    });
    await page.context().close();
  });

  it('a frontend token made for another origin cannot be read from this page', async () => {
    const elsewhere = await admin.createToken({
      name: 'another site',
      role: 'frontend',
      environment: 'production',
      allowedOrigins: ['https://elsewhere.example'],
    });
    const page = await openPage({ url: api.url, token: elsewhere.secret, context: { targetingKey: 'ann' } });
    const state = await stateOf(page);
    expect(state.status).toBe('error');
    // The browser withheld the answer (a network error, not a 401): the token is valid, but not for this origin.
    expect(state.error).toMatch(/OFREPApiFetchError/);
    const direct = await fetch(`${api.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${elsewhere.secret}`, 'content-type': 'application/json', origin: pageOrigin },
      body: JSON.stringify({ context: { targetingKey: 'ann' } }),
    });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('access-control-allow-origin')).toBeNull();
    expect(state.values.greeting).toBe('none');
    await page.context().close();
  });
});
