import { createHash } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './context';

/** CSP directives in secureHeaders' spelling (camelCase names, each with its sources). */
type Policy = Record<string, string[]>;

/**
 * What the admin UI needs and nothing more: its own scripts, styles and API (same origin), the data: icon in
 * index.html. No inline script, no eval, no plugins, no <base>, and no framing (clickjacking a toggle in production).
 */
export const UI_CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} satisfies Policy;

/**
 * Every page and file the server sends to browsers (the UI, /docs, /openapi.json, /metrics…). The JSON API under /api
 * and /ofrep is left alone: browsers never render it, and it is the hot path.
 *
 * HSTS is not sent: Flagline often runs on plain HTTP inside a network, and with TLS the proxy that terminates it is
 * the place to decide (includeSubDomains would bind every sibling host). A handler that needs another CSP sets its own
 * header, which is kept (overwrite: false).
 */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: UI_CONTENT_SECURITY_POLICY,
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  strictTransportSecurity: false,
  overwrite: false,
});

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
const SOURCE_ATTRIBUTE = /\bsrc\s*=\s*["']?([^"'\s>]+)/i;

function toHeaderValue(policy: Policy): string {
  return Object.entries(policy)
    .map(([directive, sources]) => {
      const name = directive.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
      return [name, ...sources].join(' ');
    })
    .join('; ');
}

/**
 * The policy of a server-rendered documentation page: its scripts are allowed one by one, each inline script by the
 * SHA-256 of its text and each external one by its origin, so whatever renders the page works while nothing else runs.
 * Documentation renderers insert <style> elements at run time, which only 'unsafe-inline' styles allow (styles cannot
 * run script).
 */
export function documentationPolicy(html: string): string {
  const scriptSources = new Set(["'self'"]);
  for (const [, attributes = '', body = ''] of html.matchAll(INLINE_SCRIPT)) {
    const source = SOURCE_ATTRIBUTE.exec(attributes)?.[1];
    if (source === undefined) {
      scriptSources.add(`'sha256-${createHash('sha256').update(body).digest('base64')}'`);
    } else if (URL.canParse(source)) {
      scriptSources.add(new URL(source).origin);
    }
  }
  return toHeaderValue({
    ...UI_CONTENT_SECURITY_POLICY,
    scriptSrc: [...scriptSources],
    styleSrc: ["'self'", "'unsafe-inline'"],
    fontSrc: ["'self'", 'data:'],
  });
}

/** For the route serving /docs: its HTML response gets the policy its own scripts need (see documentationPolicy). */
export const documentationSecurityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!(c.res.headers.get('content-type') ?? '').includes('text/html')) return;
  // A new response rather than a header set on the old one: the Node adapter's lightweight Response drops headers set
  // after its body has been read.
  const html = await c.res.text();
  const headers = new Headers(c.res.headers);
  headers.set('Content-Security-Policy', documentationPolicy(html));
  c.res = new Response(html, { status: c.res.status, headers });
});
