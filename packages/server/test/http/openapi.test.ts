import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_WRITES } from '../../src/http/openapi';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp, type TestResponse } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { expectStatus } from '../helpers/http';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

interface Header {
  $ref?: string;
  schema?: { type?: string };
}
interface Response {
  $ref?: string;
  headers?: Record<string, Header>;
  content?: Record<string, unknown>;
}
interface Parameter {
  name: string;
  in: string;
  schema: { type?: string };
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses: Record<string, Response>;
}
interface Document {
  info: { license?: { name: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { headers?: Record<string, Header>; responses?: Record<string, Response> };
}

/** Every operation, its responses with the shared ones (`$ref` into components.responses) resolved. */
function operations(document: Document): [string, Operation][] {
  const resolve = (response: Response): Response => {
    if (!response.$ref) return response;
    const shared = document.components.responses?.[response.$ref.replace('#/components/responses/', '')];
    if (!shared) throw new Error(`unresolved response ${response.$ref}`);
    return shared;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      {
        ...operation,
        responses: Object.fromEntries(
          Object.entries(operation.responses).map(([status, response]) => [status, resolve(response)]),
        ),
      },
    ]),
  );
}

/**
 * Every URL in src= / href= attributes, and anywhere in the text, that names another origin (http:, https:, //host).
 * data: URIs are part of the page; the SVG namespace they carry is a name, never fetched.
 */
function externalOrigins(text: string): string[] {
  const withoutNamespaces = text.replace(/http:\/\/www\.w3\.org\/(?:2000\/svg|1999\/xlink)/g, '');
  const attributes = [...withoutNamespaces.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1] ?? '');
  const anywhere = [...withoutNamespaces.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)].map((m) => m[0]);
  return [
    ...attributes.filter((url) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(url) && !url.startsWith('data:')),
    ...anywhere,
  ];
}

describe.each(testBackends())('OpenAPI document and /docs (%s)', (backend) => {
  let t: TestApp;
  let document: Document;
  beforeAll(async () => {
    t = await createTestApp(backend);
    // /openapi.json, /docs and the UI are not routes the document describes: they stay on t.request.
    document = (await t.request<Document>('GET', '/openapi.json', { token: null })).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('matches the committed packages/server/openapi.json, which the SDK types are generated from', async () => {
    const committed = JSON.parse(await readFile(join(repoRoot, 'packages/server/openapi.json'), 'utf8')) as unknown;
    // When this fails, a route changed: run `npm run openapi` and commit the document and the SDK's types with it.
    expect(document, 'packages/server/openapi.json is stale; run `npm run openapi`').toEqual(committed);
  });

  it('gives every operation a unique operationId and names a server', () => {
    const ids = operations(document).map(([name, operation]) => {
      expect(operation.operationId, `${name} has an operationId`).toMatch(/^[a-z][A-Za-z]+$/);
      return operation.operationId;
    });
    expect(ids.length).toBeGreaterThanOrEqual(35);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  });

  it('types integer query parameters as integers', () => {
    const integers = operations(document).flatMap(([name, operation]) =>
      (operation.parameters ?? [])
        .filter((parameter) => ['limit', 'page', 'pageSize'].includes(parameter.name))
        .map((parameter) => [name, parameter.name, parameter.schema.type]),
    );
    expect(integers.length).toBeGreaterThanOrEqual(6);
    for (const [name, parameter, type] of integers) expect(type, `${name} ?${parameter}`).toBe('integer');
  });

  it('documents 5xx answers, X-Request-Id everywhere, Retry-After, WWW-Authenticate and ETag', () => {
    for (const [name, operation] of operations(document)) {
      expect(Object.keys(operation.responses), name).toEqual(expect.arrayContaining(['500', '503']));
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.headers?.['X-Request-Id'], `${name} ${status} X-Request-Id`).toBeDefined();
        if (status === '503' || status === '429')
          expect(response.headers?.['Retry-After'], `${name} ${status}`).toBeDefined();
        if (status === '401') expect(response.headers?.['WWW-Authenticate'], `${name} 401`).toBeDefined();
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual([
            'application/json',
            'application/problem+json',
          ]);
        }
      }
    }
    expect(document.components.headers?.['Retry-After']?.schema?.type).toBe('integer');
    // The answers every route gives alike are declared once and referenced, not repeated per operation.
    for (const [name, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        expect(operation.responses['500']?.$ref, name).toBe('#/components/responses/InternalError');
        expect(operation.responses['503']?.$ref, name).toBe('#/components/responses/Unavailable');
      }
    }
    for (const name of [
      'GET /api/admin/flags/{flagKey}',
      'PATCH /api/admin/flags/{flagKey}',
      'GET /api/client/flags',
    ]) {
      const operation = operations(document).find(([candidate]) => candidate === name)?.[1];
      expect(operation?.responses['200']?.headers?.ETag, `${name} ETag`).toBeDefined();
    }
  });

  it("states the package's licence", async () => {
    const manifest = JSON.parse(await readFile(join(repoRoot, 'packages/server/package.json'), 'utf8')) as {
      license: string;
    };
    expect(document.info.license).toEqual({ name: manifest.license });
  });

  it('documents Flagline-Environment on the writes that send it, and only there', async () => {
    const documented = operations(document)
      .filter(([, operation]) =>
        Object.values(operation.responses).some((response) => response.headers?.['Flagline-Environment']),
      )
      .map(([, operation]) => operation.operationId);
    expect(documented.sort()).toEqual([...ENVIRONMENT_WRITES].sort());
    // Each of them sends it: a flag, an override, a schedule, then cancel and remove.
    const key = `openapi-${backend}`;
    const api = apiClient(t);
    const flag = { path: { flagKey: key }, query: { environment: 'development' } };
    expectStatus(await answer(api.POST('/api/admin/flags', { body: { key } })), 201);
    const sent: TestResponse[] = [
      await answer(api.PATCH('/api/admin/flags/{flagKey}', { params: flag, body: { enabled: true } })),
      await answer(api.POST('/api/admin/flags/{flagKey}', { params: flag, body: { enabled: false } })),
      await answer(
        api.POST('/api/admin/flags/{flagKey}/users', {
          params: flag,
          body: { userId: 'u1', overrideType: 'include' },
        }),
      ),
      await answer(
        api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { ...flag, path: { flagKey: key, userId: 'u1' } },
        }),
      ),
    ];
    const schedule = await answer(
      api.POST('/api/admin/flags/{flagKey}/schedule', {
        params: flag,
        body: { scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), updates: { enabled: true } },
      }),
    );
    const scheduleId = expectStatus(schedule, 201).id;
    sent.push(
      schedule,
      await answer(
        api.DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey: key, scheduleId } },
        }),
      ),
    );
    for (const response of sent) {
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get('Flagline-Environment')).toBe('development');
    }
  });

  it('passes `redocly lint` with the recommended rules, offline, without an error', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flagline-openapi-'));
    try {
      const file = join(folder, 'openapi.json');
      await writeFile(file, JSON.stringify(document));
      const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');
      const run = await promisify(execFile)(
        process.execPath,
        [cli, 'lint', '--config', join(repoRoot, 'redocly.yaml'), '--format', 'json', file],
        {
          cwd: folder,
          // No telemetry and no update check: the lint must work (and stay quiet) without a network.
          env: {
            PATH: process.env.PATH ?? '',
            HOME: folder,
            REDOCLY_TELEMETRY: 'off',
            REDOCLY_SDK_TELEMETRY: 'off',
            DO_NOT_TRACK: '1',
            REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
            NO_COLOR: '1',
          },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((error: { stdout?: string; stderr?: string }) => error);
      const report = JSON.parse(run.stdout ?? '{}') as {
        totals?: { errors: number; warnings: number };
        problems?: { ruleId: string; severity: string; message: string }[];
      };
      const errors = (report.problems ?? []).filter((problem) => problem.severity === 'error');
      expect({ totals: report.totals, errors, stderr: errors.length ? run.stderr : '' }).toMatchObject({
        totals: { errors: 0 },
        errors: [],
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('serves /docs from this server alone: no page, stylesheet or script it serves names another origin', async () => {
    const page = await t.request<string>('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(externalOrigins(page.body)).toEqual([]);
    // No inline script or style: the page runs under script-src 'self' / style-src 'self'.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    const referenced = [...page.body.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(referenced).toEqual(
      expect.arrayContaining([
        '/docs/assets/swagger-ui.css',
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/assets/docs.js',
      ]),
    );
    const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    for (const url of referenced.filter((href) => href !== '/openapi.json')) {
      const asset = await t.app.request(url);
      expect(asset.status, url).toBe(200);
      const body = Buffer.from(await asset.arrayBuffer());
      if (url.endsWith('swagger-ui-bundle.js')) {
        // The viewer itself is the pinned package's file, unchanged.
        expect(body.equals(await readFile(join(swaggerUi, 'swagger-ui-bundle.js')))).toBe(true);
        expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
      } else if (!url.endsWith('.png')) {
        // The stylesheet embeds its icons as data: URIs (whose SVG names its XML namespace, which is not fetched).
        expect(externalOrigins(body.toString('utf8')), url).toEqual([]);
      }
    }
    const init = await (await t.app.request('/docs/assets/docs.js')).text();
    expect(init).toContain("url: '/openapi.json'");
    // Swagger UI's one call to the internet (the validator badge) is switched off.
    expect(init).toContain('validatorUrl: null');
    expect((await t.app.request('/docs/assets/package.json')).status).toBe(404);
  });

  it('serves the admin UI (or its placeholder) without naming another origin', async () => {
    const root = await t.request<string>('GET', '/', { token: null });
    expect(root.status).toBe(200);
    expect(externalOrigins(root.body)).toEqual([]);
    for (const [, url] of root.body.matchAll(/\b(?:src|href)="(\/[^"]+\.(?:js|css))"/g)) {
      const asset = await t.app.request(url ?? '');
      expect(asset.status, url).toBe(200);
    }
  });
});
