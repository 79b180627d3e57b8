import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';

/**
 * The API reference at /docs is Swagger UI from the pinned `swagger-ui-dist` package, served from this server: it
 * works offline and loads nothing from another origin (the validator badge, the one thing it would fetch from the
 * internet, is turned off in docs.js). The page has no inline script or style, so it runs under a Content-Security-Policy
 * of `default-src 'self'`, with `img-src 'self' data:` for the icons the stylesheet embeds.
 */
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, { file: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript; charset=utf-8' },
  'favicon.png': { file: 'favicon-32x32.png', type: 'image/png' },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flagline API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"><noscript>The API reference needs JavaScript; the OpenAPI document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body>
</html>
`;

/** What starts Swagger UI: a file of its own rather than an inline script, so script-src 'self' allows it. */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    displayRequestDuration: true,
  });
});
`;

export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/docs.js', (c) =>
    c.body(INIT_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );
  // Read once, on first use: the bundle is 1.7 MB and most servers never show their docs.
  const cache = new Map<string, Buffer>();
  app.get('/docs/assets/:name', (c, next) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return next();
    let content = cache.get(asset.file);
    if (!content) {
      content = readFileSync(join(swaggerUiDir, asset.file));
      cache.set(asset.file, content);
    }
    return c.body(new Uint8Array(content), 200, {
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=3600',
    });
  });
}
