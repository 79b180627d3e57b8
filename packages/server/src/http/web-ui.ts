import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';

/** Where `npm install` (the root's prepare script) builds the admin UI. */
export const webDistDir = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const SERVER_PATHS = /^\/(api|ofrep|metrics|openapi\.json|docs|healthz|readyz)(\/|$)/;

/**
 * Serves the built admin UI at /. Paths the UI routes itself (e.g. /flags/new-checkout) get index.html, so a reload
 * or a shared link works; API and ops paths never fall through to it.
 */
export function mountWebUi(app: OpenAPIHono<AppEnv>, directory = webDistDir): boolean {
  if (!existsSync(`${directory}/index.html`)) return false;
  const assets = serveStatic<AppEnv>({ root: directory });
  const index = serveStatic<AppEnv>({ root: directory, path: 'index.html' });
  app.get('*', async (c, next) => {
    if (SERVER_PATHS.test(c.req.path)) return next();
    return assets(c, async () => {
      if (c.req.path.startsWith('/assets/')) return next();
      c.header('cache-control', 'no-cache');
      await index(c, next);
    });
  });
  return true;
}
