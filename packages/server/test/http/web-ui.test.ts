import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDistDir } from '../../src/http/web-ui';
import { createTestApp, type TestApp } from '../helpers/app';
import { APP_SETUP_TIMEOUT_MS, listenOnLoopback } from '../helpers/http';

/**
 * The built admin UI as a browser reaches it: over a real socket through the Node adapter (where the 500s of
 * issue 17 came from), for a reload or a shared link of every page, and for files that do not exist.
 */

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
// Flag keys may hold dots, so a page path can look like a file name.
const UI_PAGES = ['/', '/flags/new-checkout', '/audit', '/schedules', '/tokens', '/webhooks', '/flags/release.v2'];

describe('admin UI deep links and files', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let baseUrl: string;
  let indexHtml: string;

  beforeAll(async () => {
    const indexPath = join(webDistDir, 'index.html');
    if (!existsSync(indexPath)) {
      throw new Error(
        `${indexPath} is missing: the admin UI is built by "npm install" (npm run build -w @flagline/web).`,
      );
    }
    indexHtml = readFileSync(indexPath, 'utf8');
    t = await createTestApp('pglite');
    server = await listenOnLoopback(t.app);
    baseUrl = server.url;
  }, APP_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const get = (path: string, accept = HTML) => fetch(`${baseUrl}${path}`, { headers: { accept } });

  it.each(UI_PAGES)('answers a browser navigation to %s with index.html', async (path) => {
    const response = await get(path);
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(indexHtml);
  });

  it('serves the hashed assets index.html names, cacheable for good', async () => {
    const assets = [...indexHtml.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const response = await get(asset, '*/*');
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it.each([
    ['/assets/missing.js', '*/*'],
    ['/assets/missing.js', HTML],
    ['/favicon.ico', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'],
    ['/robots.txt', '*/*'],
    ['/flags/missing.css', 'text/css,*/*;q=0.1'],
  ])('answers 404 NOT_FOUND, not index.html or a 500, for the missing file %s (Accept: %s)', async (path, accept) => {
    const response = await get(path, accept);
    expect({ path, status: response.status }).toEqual({ path, status: 404 });
    expect(((await response.json()) as { error: string }).error).toBe('NOT_FOUND');
    expect(response.headers.get('cache-control')).toBeNull();
  });

  it('answers a page path asked for by a program (no HTML accepted) with 404, not index.html', async () => {
    const response = await get('/flags/new-checkout', 'application/json');
    expect(response.status).toBe(404);
  });

  it.each([
    '/flags/%E0%A4%A',
    '/..%2f..%2fetc/passwd',
    '/assets/..%2f..%2fpackage.json',
    '//etc/passwd',
    '/flags/%00',
    '/assets/%2e%2e/index.html',
  ])('never answers 500 or a file outside the UI for the odd path %s', async (path) => {
    const response = await get(path);
    expect(response.status).toBeLessThan(500);
    const body = await response.text();
    expect(body).not.toContain('"name": "@flagline');
    if (response.status === 200) expect(body).toBe(indexHtml);
  });

  it('keeps API and ops paths out of the UI fallback', async () => {
    const unknownApi = await get('/api/admin/nothing-here');
    expect(unknownApi.status).toBe(401);
    const unknownOps = await get('/healthz/extra');
    expect(unknownOps.status).toBe(404);
    expect(((await unknownOps.json()) as { error: string }).error).toBe('NOT_FOUND');
    expect((await get('/healthz', '*/*')).status).toBe(200);
  });

  it('answers HEAD like GET, without a body', async () => {
    const response = await fetch(`${baseUrl}/audit`, { method: 'HEAD', headers: { accept: HTML } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe('');
  });
});
