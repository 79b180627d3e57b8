import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app';
import { APP_SETUP_TIMEOUT_MS, expectStatus } from './helpers/http';

const versionOf = (workspace: string) =>
  (JSON.parse(readFileSync(new URL(`../../${workspace}/package.json`, import.meta.url), 'utf8')) as { version: string })
    .version;

describe('one version source: package.json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('every workspace package carries the same version', () => {
    const versions = ['core', 'sdk', 'server', 'web'].map(versionOf);
    expect(new Set(versions).size, versions.join(', ')).toBe(1);
  });

  it('/healthz and /openapi.json report the server package version', async () => {
    const version = versionOf('server');
    expect(expectStatus(await t.request('GET', '/healthz', { token: null }), 200)).toMatchObject({ version });
    const doc = expectStatus(
      await t.request<{ info: { version: string } }>('GET', '/openapi.json', { token: null }),
      200,
    );
    expect(doc.info.version).toBe(version);
  });
});
