import type { EnvironmentExport, ImportResult } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, auditMark, auditSince, expectError, expectStatus } from '../helpers/http';
import fixture from './fixtures/unleash-6.10.1-export.json';

/** What an operator posts: Unleash's export with the segments as `GET /api/admin/segments` lists them. */
const unleashBody = { ...fixture.export, segments: fixture.segments };
const FLAG_KEYS = fixture.export.features.map((feature) => feature.name).sort();

describe.each(testBackends())('import and export (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  it('a dry run answers what would be created and what cannot be represented, and changes nothing', async () => {
    const mark = await auditMark(t);
    const result = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import/unleash?environment=development&dryRun=true', {
        body: unleashBody,
      }),
      200,
    );
    expect(result.dryRun).toBe(true);
    expect(result.flags.map((flag) => flag.key).sort()).toEqual(FLAG_KEYS);
    expect(result.flags.every((flag) => flag.action === 'create')).toBe(true);
    expect(result.segments.map((segment) => segment.key).sort()).toEqual([
      'nordics-with-score',
      'pro-customers',
      'pro-customers-2',
    ]);
    // Unleash 6.10's export has no strategy order: flags whose variants depend on it are reported.
    expect(result.unsupported.length).toBeGreaterThan(0);
    expect(result.unsupported.every((part) => part.reason.includes('order'))).toBe(true);
    expect(await auditSince(t, mark)).toEqual([]);
    expectError(await t.request('GET', '/api/admin/flags/imp-in?environment=development'), 404, 'NOT_FOUND');
  });

  it('imports flags, segments and targeting in one audited change; viewers may not', async () => {
    expectError(
      await t.request('POST', '/api/admin/import/unleash?environment=development', {
        token: t.tokens.viewer,
        body: unleashBody,
      }),
      403,
      'FORBIDDEN',
    );
    const mark = await auditMark(t);
    const result = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import/unleash?environment=development', { body: unleashBody }),
      200,
    );
    expect(result.dryRun).toBe(false);
    const events = await auditSince(t, mark);
    expect(
      events
        .filter((event) => event.type === 'flag.created')
        .map((event) => event.flagKey)
        .sort(),
    ).toEqual(FLAG_KEYS);
    const [imported] = events.filter((event) => event.type === 'config.imported');
    expect(imported).toMatchObject({ environment: 'development', data: { source: 'unleash' } });
    const flag = expectStatus(
      await t.request<{ enabled: boolean }>('GET', '/api/admin/flags/imp-in?environment=development'),
      200,
    );
    expect(flag.enabled).toBe(true);
    const production = expectStatus(
      await t.request<{ enabled: boolean }>('GET', '/api/admin/flags/imp-in?environment=production'),
      200,
    );
    expect(production.enabled).toBe(false);
  });

  it('existing flag keys answer 409 listing them, unless onExisting=replace', async () => {
    const conflict = expectError(
      await t.request('POST', '/api/admin/import/unleash?environment=development', { body: unleashBody }),
      409,
      'ALREADY_EXISTS',
    );
    expect((conflict.details as { flags: string[] }).flags.sort()).toEqual(FLAG_KEYS);
    const mark = await auditMark(t);
    const replaced = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import/unleash?environment=development&onExisting=replace', {
        body: unleashBody,
      }),
      200,
    );
    expect(replaced.flags.every((flag) => flag.action === 'replace')).toBe(true);
    expect(replaced.segments.every((segment) => segment.action === 'unchanged')).toBe(true);
    // The same export again changes nothing: no event but the import's own.
    expect((await auditSince(t, mark)).map((event) => event.type)).toEqual(['config.imported']);
  });

  it('takes exports far above the 64 KB limit of other bodies', async () => {
    const names = Array.from({ length: 1500 }, (_, index) => `bulk-flag-${index}`);
    const body = {
      features: names.map((name) => ({ name, description: 'x'.repeat(100) })),
      featureStrategies: names.map((featureName, index) => ({ id: `s${index}`, name: 'default', featureName })),
      featureEnvironments: names.map((featureName) => ({ featureName, environment: 'production', enabled: true })),
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(256 * 1024);
    const result = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import/unleash?environment=development&dryRun=true', { body }),
      200,
    );
    expect(result.flags).toHaveLength(names.length);
  });

  it('bad input is a 400 naming the field, never a 500', async () => {
    const response = await t.request('POST', '/api/admin/import/unleash?environment=development', {
      body: { features: [{ description: 'no name' }] },
    });
    expectError(response, 400, 'VALIDATION_FAILED');
    expectError(
      await t.request('POST', '/api/admin/import/unleash?environment=nowhere', { body: unleashBody }),
      404,
      'NOT_FOUND',
    );
  });

  it("promotes development to production: production's export then equals development's", async () => {
    const development = expectStatus(
      await t.request<EnvironmentExport>('GET', '/api/admin/export?environment=development'),
      200,
    );
    expect(development.flags.map((flag) => flag.key)).toEqual(FLAG_KEYS);
    const dryRun = expectStatus(
      await t.request<ImportResult>('POST', '/api/admin/import?environment=production&dryRun=true', {
        body: development,
      }),
      200,
    );
    expect(dryRun.flags.every((flag) => flag.action === 'replace')).toBe(true);
    const mark = await auditMark(t);
    expectStatus(await t.request('POST', '/api/admin/import?environment=production', { body: development }), 200);
    const production = expectStatus(
      await t.request<EnvironmentExport>('GET', '/api/admin/export?environment=production'),
      200,
    );
    expect(production.flags).toEqual(development.flags);
    expect(production.segments).toEqual(development.segments);
    const types = (await auditEvents(t, { type: 'config.imported' })).map((event) => event.data);
    expect(types[0]).toMatchObject({ source: 'flagline' });
    expect((await auditSince(t, mark)).filter((event) => event.type === 'flag.targeting_updated')).toHaveLength(
      FLAG_KEYS.length,
    );
  });

  it("Flagline's import refuses a changed flag definition unless onExisting=replace", async () => {
    const development = expectStatus(
      await t.request<EnvironmentExport>('GET', '/api/admin/export?environment=development'),
      200,
    );
    const changed = structuredClone(development);
    const first = changed.flags[0];
    if (!first) throw new Error('no flags exported');
    first.description = 'changed in the export';
    const conflict = expectError(
      await t.request('POST', '/api/admin/import?environment=production', { body: changed }),
      409,
      'ALREADY_EXISTS',
    );
    expect(conflict.details).toEqual({ flags: [first.key], segments: [] });
    const broken = structuredClone(development);
    const rule = broken.flags.find((flag) => flag.targeting.rules.length > 0)?.targeting.rules[0];
    if (!rule) throw new Error('no rules exported');
    rule.serve = { variant: 'no-such-variant' };
    expectError(
      await t.request('POST', '/api/admin/import?environment=production', { body: broken }),
      400,
      'VALIDATION_FAILED',
    );
    const retyped = structuredClone(development);
    const flag = retyped.flags[0];
    if (!flag) throw new Error('no flags exported');
    flag.type = 'string';
    flag.variants = flag.variants.map((variant) => ({ ...variant, value: String(variant.value) }));
    const refused = expectError(
      await t.request('POST', '/api/admin/import?environment=production&onExisting=replace', { body: retyped }),
      409,
      'INVALID_STATE',
    );
    expect(refused.details).toEqual({ flags: [flag.key] });
    expectStatus(
      await t.request('POST', '/api/admin/import?environment=production&onExisting=replace', { body: changed }),
      200,
    );
    const after = expectStatus(
      await t.request<EnvironmentExport>('GET', '/api/admin/export?environment=production'),
      200,
    );
    expect(after.flags[0]?.description).toBe('changed in the export');
  });
});
