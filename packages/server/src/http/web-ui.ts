import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './context';

/** Where `npm install` (the root's prepare script) builds the admin UI. */
export const webDistDir = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const SERVER_PATHS = /^\/(api|ofrep|metrics|openapi\.json|docs|healthz|readyz)(\/|$)/;
/**
 * A page of the UI (/flags/new-checkout, /flags/release.v2, /audit…) asked for by a browser: a navigation, which
 * accepts HTML. Scripts, styles, images and API clients asking for a missing file get a 404, never index.html.
 */
function isUiNavigation(c: Context<AppEnv>): boolean {
  return !c.req.path.startsWith('/assets/') && (c.req.header('accept') ?? '').includes('text/html');
}

/**
 * Serves the built admin UI at /. Paths the UI routes itself (e.g. /flags/new-checkout) get index.html, so a reload
 * or a shared link works; API and ops paths never fall through to it, and a file that does not exist is a 404.
 */
export function mountWebUi(app: OpenAPIHono<AppEnv>, directory = webDistDir): boolean {
  if (!existsSync(join(directory, 'index.html'))) return false;
  const notServed = async () => undefined;
  // Vite puts a content hash in every name under /assets/, so a browser may keep them for good; index.html names the
  // current ones, so it is revalidated every time.
  const file = serveStatic<AppEnv>({ root: directory });
  const index = serveStatic<AppEnv>({ root: directory, path: 'index.html' });
  app.get('/assets/*', async (c, next) => {
    c.header('cache-control', 'public, max-age=31536000, immutable');
    const response = await file(c, notServed);
    if (response) return response;
    c.header('cache-control', undefined);
    return next();
  });
  app.get('*', async (c, next) => {
    if (SERVER_PATHS.test(c.req.path)) return next();
    c.header('cache-control', 'no-cache');
    const response = (await file(c, notServed)) ?? (isUiNavigation(c) ? await index(c, notServed) : undefined);
    if (response) return response;
    c.header('cache-control', undefined);
    return next();
  });
  return true;
}
