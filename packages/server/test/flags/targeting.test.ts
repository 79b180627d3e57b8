import { type FlagTargeting, flagTargetingSchema, type TargetingDiff } from '@flagline/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { runDuePass } from '../../src/schedules/apply';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditEvents,
  auditMark,
  auditSince,
  expectError,
  expectFieldError,
  expectStatus,
} from '../helpers/http';

type Rule = components['schemas']['Rule'];
type TargetingPatch = components['schemas']['EnvironmentTargetingPatch'];
type Variant = components['schemas']['Variant'];

const COLOURS: Variant[] = [
  { key: 'red', value: 'red' },
  { key: 'blue', value: 'blue' },
  { key: 'green', value: 'green' },
];

const rule = (id: string, serve: string, constraints: Rule['constraints'] = [], segments: string[] = []): Rule => ({
  id,
  constraints,
  segments,
  serve: { variant: serve },
});
const planIs = (plan: string): Rule['constraints'][number] => ({ attribute: 'plan', operator: 'IN', values: [plan] });

describe.each(testBackends())('flag targeting and variants (%s)', (backend) => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let viewer: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    t = await createTestApp(backend, { SCHEDULER_ENABLED: 'false', SCHEDULER_POLL_MS: '60000' });
    api = apiClient(t);
    viewer = apiClient(t, t.tokens.viewer);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const createTyped = async (key: string, variants: Variant[] = COLOURS) =>
    expectStatus(await answer(api.POST('/api/admin/flags', { body: { key, type: 'string', variants } })), 201);
  const targetingOf = (flagKey: string, environment = 'production') =>
    answer(api.GET('/api/admin/flags/{flagKey}/targeting', { params: { path: { flagKey }, query: { environment } } }));
  const patch = (flagKey: string, body: TargetingPatch, ifMatch?: string) =>
    answer(
      api.PATCH('/api/admin/flags/{flagKey}/targeting', {
        params: { path: { flagKey }, ...(ifMatch ? { header: { 'if-match': ifMatch } } : {}) },
        body,
      }),
    );
  const putVariants = (flagKey: string, variants: Variant[]) =>
    answer(api.PUT('/api/admin/flags/{flagKey}/variants', { params: { path: { flagKey } }, body: { variants } }));
  const current = async (flagKey: string): Promise<FlagTargeting> =>
    flagTargetingSchema.parse(expectStatus(await targetingOf(flagKey), 200));

  describe('creating typed flags', () => {
    it('answers the origin FlagView (no new fields) and starts every environment off, serving the first variant', async () => {
      const view = await createTyped('typed-colour');
      expect(Object.keys(view).sort()).toEqual(
        [
          'createdAt',
          'description',
          'enabled',
          'environment',
          'key',
          'rolloutPercentage',
          'updatedAt',
          'version',
        ].sort(),
      );
      for (const environment of ['production', 'development']) {
        const response = await targetingOf('typed-colour', environment);
        const targeting = flagTargetingSchema.parse(expectStatus(response, 200));
        expect(targeting).toMatchObject({
          flagKey: 'typed-colour',
          environment,
          type: 'string',
          variants: COLOURS,
          targeting: {
            enabled: false,
            rolloutPercentage: 0,
            offVariant: 'red',
            rules: [],
            fallthrough: { variant: 'red' },
          },
          version: 1,
        });
        expect(response.headers.get('etag')).toBe('"1"');
      }
      const [created] = await auditEvents(t, { flagKey: 'typed-colour', type: 'flag.created' });
      expect(created?.after).toMatchObject({ type: 'string', variants: COLOURS });
    });

    it('gives a typed flag the same start in an environment created later', async () => {
      await createTyped('typed-new-environment');
      expectStatus(await answer(api.POST('/api/admin/environments', { body: { key: 'typed-staging' } })), 201);
      const staging = flagTargetingSchema.parse(
        expectStatus(await targetingOf('typed-new-environment', 'typed-staging'), 200),
      );
      expect(staging.targeting).toEqual({
        enabled: false,
        rolloutPercentage: 0,
        offVariant: 'red',
        rules: [],
        fallthrough: { variant: 'red' },
      });
    });

    it('keeps the origin body: a boolean flag with the implicit on/off and no targeting', async () => {
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'typed-plain' } })), 201);
      expect(await current('typed-plain')).toMatchObject({
        type: 'boolean',
        variants: [],
        targeting: { enabled: false, rolloutPercentage: 0, offVariant: null, rules: [], fallthrough: null },
      });
      const [created] = await auditEvents(t, { flagKey: 'typed-plain', type: 'flag.created' });
      expect(created?.after).not.toHaveProperty('type');
    });

    it.each([
      ['no variants for a string flag', { type: 'string' as const }, 'variants'],
      [
        'a number for a string flag',
        { type: 'string' as const, variants: [{ key: 'a', value: 1 }] },
        'variants[0].value',
      ],
      [
        'a string for a number flag',
        { type: 'number' as const, variants: [{ key: 'a', value: 'x' }] },
        'variants[0].value',
      ],
      [
        'a key used twice',
        {
          type: 'string' as const,
          variants: [
            { key: 'a', value: 'x' },
            { key: 'a', value: 'y' },
          ],
        },
        'variants[1].key',
      ],
      [
        'a scalar for a json flag',
        { type: 'json' as const, variants: [{ key: 'a', value: 'x' }] },
        'variants[0].value',
      ],
    ])('answers 400 naming the field for %s, creating nothing', async (_, extra, field) => {
      const key = `typed-bad-${field.replace(/[^a-z0-9]/g, '')}-${extra.type}`;
      expectFieldError(await answer(api.POST('/api/admin/flags', { body: { key, ...extra } })), field, 'body');
      expectError(await targetingOf(key), 404, 'NOT_FOUND');
    });
  });

  describe('GET and PATCH targeting', () => {
    it('lets viewers read and only admins write', async () => {
      await createTyped('typed-roles');
      expectStatus(
        await answer(
          viewer.GET('/api/admin/flags/{flagKey}/targeting', { params: { path: { flagKey: 'typed-roles' } } }),
        ),
        200,
      );
      const denied = await answer(
        viewer.PATCH('/api/admin/flags/{flagKey}/targeting', {
          params: { path: { flagKey: 'typed-roles' } },
          body: { enabled: true },
        }),
      );
      expectError(denied, 403, 'FORBIDDEN');
      expectError(await targetingOf('no-such-flag'), 404, 'NOT_FOUND');
    });

    it('replaces the fields given, moves the version, names the environment and answers the ETag', async () => {
      await createTyped('typed-patch');
      const response = await patch('typed-patch', {
        enabled: true,
        rules: [rule('pro', 'blue', [planIs('pro')])],
        fallthrough: {
          split: {
            variants: [
              { variant: 'red', weight: 500 },
              { variant: 'green', weight: 500 },
            ],
          },
        },
      });
      const body = flagTargetingSchema.parse(expectStatus(response, 200));
      expect(body.version).toBe(2);
      expect(body.targeting).toMatchObject({ enabled: true, offVariant: 'red', rules: [{ id: 'pro' }] });
      expect(response.headers.get('etag')).toBe('"2"');
      expect(response.headers.get('flagline-environment')).toBe('production');
      expect((await current('typed-patch')).targeting).toEqual(body.targeting);
      // The origin's view of the same flag moved with it.
      const origin = await answer(
        api.GET('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'typed-patch' } } }),
      );
      expect(expectStatus(origin, 200)).toMatchObject({ enabled: true, version: 2 });
      // The other environment is untouched.
      expect((await current('typed-patch')).environment).toBe('production');
      const development = flagTargetingSchema.parse(expectStatus(await targetingOf('typed-patch', 'development'), 200));
      expect(development).toMatchObject({ version: 1, targeting: { enabled: false, rules: [] } });
    });

    it('writes nothing for a patch that changes nothing', async () => {
      await createTyped('typed-noop');
      const mark = await auditMark(t);
      const response = await patch('typed-noop', { offVariant: 'red', rules: [] });
      expect(expectStatus(response, 200).version).toBe(1);
      expect(await auditSince(t, mark)).toEqual([]);
    });

    it('honours If-Match: 412 on a stale version, 200 on the current one', async () => {
      await createTyped('typed-ifmatch');
      expectError(await patch('typed-ifmatch', { enabled: true }, '"7"'), 412, 'PRECONDITION_FAILED');
      expect((await current('typed-ifmatch')).version).toBe(1);
      expect(expectStatus(await patch('typed-ifmatch', { enabled: true }, '"1"'), 200).version).toBe(2);
      expectFieldError(await patch('typed-ifmatch', { enabled: false }, 'soon'), 'If-Match', 'header');
    });

    it.each<[string, TargetingPatch, string]>([
      ['a variant the flag lacks', { rules: [rule('a', 'purple')] }, 'rules[0].serve.variant'],
      ['an off variant the flag lacks', { offVariant: 'purple' }, 'offVariant'],
      [
        'a split over a missing variant',
        {
          fallthrough: {
            split: {
              variants: [
                { variant: 'red', weight: 400 },
                { variant: 'nope', weight: 600 },
              ],
            },
          },
        },
        'fallthrough.split.variants[1].variant',
      ],
      [
        'a number operator with a word',
        {
          rules: [
            rule('ok', 'red'),
            rule('age', 'blue', [planIs('pro'), { attribute: 'age', operator: 'NUM_GT', values: ['old'] }]),
          ],
        },
        'rules[1].constraints[1].values[0]',
      ],
      [
        'a single-value operator with two values',
        { rules: [rule('v', 'red', [{ attribute: 'version', operator: 'SEMVER_GT', values: ['1.0.0', '2.0.0'] }])] },
        'rules[0].constraints[0].values',
      ],
      ['a segment that does not exist', { rules: [rule('seg', 'red', [], ['ghost-segment'])] }, 'rules[0].segments[0]'],
      ['two rules with one id', { rules: [rule('same', 'red'), rule('same', 'blue')] }, 'rules[1].id'],
    ])('answers 400 naming the field for %s, changing nothing', async (_, body, field) => {
      const key = `typed-invalid-${field.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
      await createTyped(key);
      const mark = await auditMark(t);
      const reason = expectFieldError(await patch(key, body), field, 'body');
      expect(reason.length).toBeGreaterThan(0);
      expect((await current(key)).version).toBe(1);
      expect(await auditSince(t, mark)).toEqual([]);
    });

    it('rejects what the schema does not allow: weights not adding up to 1000, unknown fields, an empty patch', async () => {
      await createTyped('typed-schema');
      const split = { split: { variants: [{ variant: 'red', weight: 999 }] } };
      expectFieldError(await patch('typed-schema', { fallthrough: split }), 'fallthrough.split.variants');
      const unknown = await t.request('PATCH', '/api/admin/flags/typed-schema/targeting', { body: { colour: 'red' } });
      expectFieldError(unknown, 'colour');
      expectError(
        await t.request('PATCH', '/api/admin/flags/typed-schema/targeting', { body: {} }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('records flag.targeting_updated with before/after and a field-level diff of the rules', async () => {
      await createTyped('typed-diff');
      const rules = [rule('a', 'red', [planIs('free')]), rule('b', 'blue'), rule('c', 'green'), rule('d', 'red')];
      expectStatus(await patch('typed-diff', { rules }), 200);
      const mark = await auditMark(t);
      // d moves to the top, b is removed, c serves blue now, e is new; enabled and offVariant change.
      const changedC = { ...rule('c', 'blue'), description: 'now blue' };
      const next = [rules[3] as Rule, rules[0] as Rule, changedC, rule('e', 'green')];
      expectStatus(await patch('typed-diff', { enabled: true, offVariant: 'green', rules: next }), 200);
      const [event, ...others] = await auditSince(t, mark);
      expect(others).toEqual([]);
      expect(event).toMatchObject({ type: 'flag.targeting_updated', flagKey: 'typed-diff', environment: 'production' });
      if (event?.type !== 'flag.targeting_updated') throw new Error('unreachable');
      expect(event.data.changedFields.sort()).toEqual(['enabled', 'offVariant', 'rules']);
      const diff: TargetingDiff = event.data.diff;
      expect(diff.enabled).toEqual({ before: false, after: true });
      expect(diff.offVariant).toEqual({ before: 'red', after: 'green' });
      expect(diff.fallthrough).toBeUndefined();
      expect(diff.rules.added).toEqual(['e']);
      expect(diff.rules.removed).toEqual(['b']);
      expect(diff.rules.moved).toEqual([{ id: 'd', from: 3, to: 0 }]);
      expect(diff.rules.changed).toEqual([
        {
          id: 'c',
          fields: [
            { field: 'description', before: null, after: 'now blue' },
            { field: 'serve', before: { variant: 'green' }, after: { variant: 'blue' } },
          ],
        },
      ]);
      expect(event.before).toMatchObject({ enabled: false, offVariant: 'red', version: 2 });
      expect(event.after).toMatchObject({ enabled: true, offVariant: 'green', version: 3 });
      expect((event.after as { rules: Rule[] }).rules.map((r) => r.id)).toEqual(['d', 'a', 'c', 'e']);
    });
  });

  describe('PUT variants', () => {
    it('replaces the variants, moves every environment version and records flag.variants_updated', async () => {
      await createTyped('typed-variants');
      const mark = await auditMark(t);
      const variants = [
        { key: 'red', value: 'red' },
        { key: 'blue', value: 'navy' },
        { key: 'yellow', value: 'yellow' },
      ];
      const response = await putVariants('typed-variants', variants);
      expect(expectStatus(response, 200)).toEqual({ flagKey: 'typed-variants', type: 'string', variants });
      for (const environment of ['production', 'development']) {
        const view = flagTargetingSchema.parse(expectStatus(await targetingOf('typed-variants', environment), 200));
        expect(view).toMatchObject({ variants, version: 2 });
      }
      const [event] = await auditSince(t, mark);
      expect(event).toMatchObject({
        type: 'flag.variants_updated',
        data: { flagKey: 'typed-variants', added: ['yellow'], removed: ['green'], changed: ['blue'] },
        before: { variants: COLOURS },
        after: { variants },
      });
    });

    it('answers 409 naming every reference when a removed variant is still served, and changes nothing', async () => {
      await createTyped('typed-in-use');
      expectStatus(await patch('typed-in-use', { rules: [rule('r', 'blue')] }), 200);
      expectStatus(
        await answer(
          api.POST('/api/admin/flags/{flagKey}/users', {
            params: { path: { flagKey: 'typed-in-use' }, query: { environment: 'development' } },
            body: { userId: 'u-blue', overrideType: 'include', variant: 'blue' },
          }),
        ),
        201,
      );
      const mark = await auditMark(t);
      const response = await putVariants('typed-in-use', [{ key: 'green', value: 'green' }]);
      const error = expectError(response, 409, 'INVALID_STATE');
      expect(error.message).toContain('"blue"');
      expect(error.message).toContain('"red"');
      expect(error.details).toMatchObject({ variants: ['red', 'blue'] });
      expect((error.details as { references: unknown[] }).references).toEqual(
        expect.arrayContaining([
          { environment: 'production', path: 'offVariant' },
          { environment: 'production', path: 'rules[0].serve' },
          { environment: 'production', path: 'fallthrough' },
          { environment: 'development', path: 'fallthrough' },
          { environment: 'development', path: 'overrides[userId=u-blue].variant' },
        ]),
      );
      expect(await auditSince(t, mark)).toEqual([]);
      expect((await current('typed-in-use')).variants).toEqual(COLOURS);
    });

    it('checks values against the type (400 naming the field) and lets a boolean flag declare on/off', async () => {
      await createTyped('typed-variant-values');
      expectFieldError(await putVariants('typed-variant-values', [{ key: 'red', value: 3 }]), 'variants[0].value');
      expectFieldError(await putVariants('typed-variant-values', []), 'variants');
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'typed-bool-variants' } })), 201);
      const declared = [
        { key: 'on', value: true, description: 'shown' },
        { key: 'off', value: false },
      ];
      expectStatus(await putVariants('typed-bool-variants', declared), 200);
      expectFieldError(await putVariants('typed-bool-variants', [{ key: 'on', value: 'yes' }]), 'variants[0].value');
      expectError(await putVariants('no-such-flag', declared), 404, 'NOT_FOUND');
    });
  });

  describe('overrides that pin a variant', () => {
    const setOverride = (flagKey: string, body: components['schemas']['SetOverrideBody']) =>
      answer(api.POST('/api/admin/flags/{flagKey}/users', { params: { path: { flagKey } }, body }));

    it('stores and answers the variant of an include; the origin body answers as before', async () => {
      await createTyped('typed-override');
      const pinned = expectStatus(
        await setOverride('typed-override', { userId: 'u1', overrideType: 'include', variant: 'green' }),
        201,
      );
      expect(pinned).toMatchObject({ userId: 'u1', overrideType: 'include', variant: 'green' });
      const plain = expectStatus(await setOverride('typed-override', { userId: 'u2', overrideType: 'include' }), 201);
      expect(plain).not.toHaveProperty('variant');
      const list = await answer(
        api.GET('/api/admin/flags/{flagKey}/users', { params: { path: { flagKey: 'typed-override' } } }),
      );
      expect(expectStatus(list, 200).includes.map((o) => o.variant ?? null)).toEqual(['green', null]);
      const [event] = await auditEvents(t, { flagKey: 'typed-override', type: 'flag_override.set' });
      expect(event?.data).toEqual({
        flagKey: 'typed-override',
        userId: 'u2',
        overrideType: 'include',
        reason: null,
      });
      // Pinning another variant is a change; the same again is not.
      expect(
        expectStatus(
          await setOverride('typed-override', { userId: 'u1', overrideType: 'include', variant: 'blue' }),
          200,
        ).variant,
      ).toBe('blue');
    });

    it('answers 400 on variant for an exclude or a variant the flag lacks', async () => {
      await createTyped('typed-override-bad');
      const exclude = await setOverride('typed-override-bad', {
        userId: 'u1',
        overrideType: 'exclude',
        variant: 'red',
      });
      expect(expectFieldError(exclude, 'variant', 'body')).toContain('include');
      const missing = await setOverride('typed-override-bad', {
        userId: 'u1',
        overrideType: 'include',
        variant: 'purple',
      });
      expectFieldError(missing, 'variant', 'body');
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: 'typed-override-bool' } })), 201);
      const onOff = await setOverride('typed-override-bool', { userId: 'u1', overrideType: 'include', variant: 'on' });
      expect(expectStatus(onOff, 201).variant).toBe('on');
    });
  });

  describe('scheduled targeting changes', () => {
    const uow = () => ({
      db: t.deps.database.db,
      logger: t.deps.logger,
      afterCommit: (notice: Parameters<typeof t.deps.snapshot.receive>[0]) => t.deps.snapshot.receive(notice),
    });
    const runDue = () => runDuePass(uow(), { batchSize: 100, retryBaseMs: 1000, retryJitterMs: 0 });
    const schedule = (flagKey: string, updates: components['schemas']['CreateScheduleBody']['updates']) =>
      answer(
        api.POST('/api/admin/flags/{flagKey}/schedule', {
          params: { path: { flagKey } },
          body: { scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), updates },
        }),
      );
    const makeDue = (id: string) =>
      t.deps.database.db.execute(
        sql`update flag_schedules set scheduled_at = now() - interval '1 second' where id = ${id}`,
      );
    const scheduleOf = async (flagKey: string, scheduleId: string) =>
      expectStatus(
        await answer(
          api.GET('/api/admin/flags/{flagKey}/schedule/{scheduleId}', { params: { path: { flagKey, scheduleId } } }),
        ),
        200,
      );

    it('keeps the origin schedule body and answer exactly', async () => {
      await createTyped('typed-sched-origin');
      const created = expectStatus(await schedule('typed-sched-origin', { enabled: true }), 201);
      expect(created.updates).toEqual({ enabled: true });
    });

    it('applies rules, off variant and fallthrough at the scheduled time, audited', async () => {
      await createTyped('typed-sched');
      const updates = {
        enabled: true,
        offVariant: 'blue',
        rules: [rule('pro', 'green', [planIs('pro')])],
        fallthrough: { variant: 'blue' },
      };
      const created = expectStatus(await schedule('typed-sched', updates), 201);
      await makeDue(created.id);
      expect(await runDue()).toMatchObject({ applied: 1, failed: 0 });
      expect((await scheduleOf('typed-sched', created.id)).status).toBe('applied');
      expect(await current('typed-sched')).toMatchObject({
        version: 2,
        targeting: {
          enabled: true,
          offVariant: 'blue',
          rules: [{ id: 'pro', serve: { variant: 'green' } }],
          fallthrough: { variant: 'blue' },
        },
      });
      const [event] = await auditEvents(t, { scheduleId: created.id, type: 'flag_schedule.applied' });
      expect(event?.before).toMatchObject({ enabled: false, offVariant: 'red', rules: [], version: 1 });
      expect(event?.after).toMatchObject({ enabled: true, offVariant: 'blue', fallthrough: { variant: 'blue' } });
    });

    it('refuses at creation a change that does not fit the flag (400 naming updates.…)', async () => {
      await createTyped('typed-sched-bad');
      expectFieldError(
        await schedule('typed-sched-bad', { fallthrough: { variant: 'purple' } }),
        'updates.fallthrough.variant',
      );
      expectFieldError(
        await schedule('typed-sched-bad', { rules: [rule('s', 'red', [], ['ghost-segment'])] }),
        'updates.rules[0].segments[0]',
      );
    });

    it('fails at apply, changing nothing, when a variant it names was removed since', async () => {
      await createTyped('typed-sched-stale');
      const created = expectStatus(
        await schedule('typed-sched-stale', { enabled: true, fallthrough: { variant: 'green' } }),
        201,
      );
      expectStatus(
        await putVariants(
          'typed-sched-stale',
          COLOURS.filter((variant) => variant.key !== 'green'),
        ),
        200,
      );
      const before = await current('typed-sched-stale');
      await makeDue(created.id);
      expect(await runDue()).toMatchObject({ applied: 0, failed: 1 });
      const failed = await scheduleOf('typed-sched-stale', created.id);
      expect(failed.status).toBe('failed');
      expect(failed.errorMessage).toContain('updates.fallthrough.variant');
      expect(failed.errorMessage).toContain('"green"');
      expect(await current('typed-sched-stale')).toEqual(before);
      const [event] = await auditEvents(t, { scheduleId: created.id, type: 'flag_schedule.failed' });
      expect(event?.data).toMatchObject({ scheduleId: created.id, errorMessage: failed.errorMessage });
    });
  });

  describe('the origin routes', () => {
    it('PATCH /flags/:key with enabled/rolloutPercentage works on typed flags and keeps the targeting', async () => {
      await createTyped('typed-shorthand');
      expectStatus(await patch('typed-shorthand', { rules: [rule('x', 'blue')] }), 200);
      const response = await answer(
        api.PATCH('/api/admin/flags/{flagKey}', {
          params: { path: { flagKey: 'typed-shorthand' } },
          body: { enabled: true, rolloutPercentage: 30 },
        }),
      );
      expect(Object.keys(expectStatus(response, 200)).sort()).toEqual(
        [
          'createdAt',
          'description',
          'enabled',
          'environment',
          'key',
          'rolloutPercentage',
          'updatedAt',
          'version',
        ].sort(),
      );
      expect(await current('typed-shorthand')).toMatchObject({
        version: 3,
        targeting: { enabled: true, rolloutPercentage: 30, rules: [{ id: 'x' }], offVariant: 'red' },
      });
    });
  });
});
