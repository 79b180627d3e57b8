import { segmentViewSchema } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../../../sdk/src/api-types/index';
import { configState } from '../../src/db/schema';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditMark,
  auditSince,
  expectError,
  expectFieldError,
  expectStatus,
} from '../helpers/http';

type Constraint = components['schemas']['Constraint'];

const GERMANY: Constraint = { attribute: 'country', operator: 'IN', values: ['DE'] };
const PRO: Constraint = { attribute: 'plan', operator: 'IN', values: ['pro'], caseInsensitive: true };

describe.each(testBackends())('segments (%s)', (backend) => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let viewer: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    t = await createTestApp(backend);
    api = apiClient(t);
    viewer = apiClient(t, t.tokens.viewer);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: components['schemas']['CreateSegmentBody']) =>
    answer(api.POST('/api/admin/segments', { body }));
  const get = (segmentKey: string) =>
    answer(api.GET('/api/admin/segments/{segmentKey}', { params: { path: { segmentKey } } }));
  const replace = (segmentKey: string, body: components['schemas']['ReplaceSegmentBody'], ifMatch?: string) =>
    answer(
      api.PUT('/api/admin/segments/{segmentKey}', {
        params: { path: { segmentKey }, ...(ifMatch ? { header: { 'if-match': ifMatch } } : {}) },
        body,
      }),
    );
  const remove = (segmentKey: string, ifMatch?: string) =>
    answer(
      api.DELETE('/api/admin/segments/{segmentKey}', {
        params: { path: { segmentKey }, ...(ifMatch ? { header: { 'if-match': ifMatch } } : {}) },
      }),
    );
  const configVersion = async () => {
    const [row] = await t.deps.database.db.select({ version: configState.version }).from(configState);
    return row?.version ?? 0;
  };
  /** A flag in production whose one rule uses the segment. */
  const flagUsing = async (flagKey: string, segmentKey: string) => {
    expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: flagKey } })), 201);
    return answer(
      api.PATCH('/api/admin/flags/{flagKey}/targeting', {
        params: { path: { flagKey } },
        body: { rules: [{ id: 'segment-rule', constraints: [], segments: [segmentKey], serve: { variant: 'on' } }] },
      }),
    );
  };

  it('creates a segment (201 with its ETag), audited, and answers 409 for a taken key', async () => {
    const mark = await auditMark(t);
    const before = await configVersion();
    const response = await create({ key: 'germany', name: 'Germany', constraints: [GERMANY] });
    const view = segmentViewSchema.parse(expectStatus(response, 201));
    expect(view).toMatchObject({
      key: 'germany',
      name: 'Germany',
      description: '',
      constraints: [GERMANY],
      version: 1,
      usedBy: [],
    });
    expect(response.headers.get('etag')).toBe('"1"');
    const events = await auditSince(t, mark);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'segment.created',
      data: { segmentKey: 'germany', name: 'Germany' },
      before: null,
      after: { key: 'germany', constraints: [GERMANY] },
    });
    expect(await configVersion()).toBe(before + 1);
    expectError(await create({ key: 'germany', name: 'Again' }), 409, 'ALREADY_EXISTS');
  });

  it.each<[string, components['schemas']['CreateSegmentBody'], string]>([
    [
      'a single-value operator with two values',
      { key: 'bad-one', name: 'x', constraints: [{ attribute: 'age', operator: 'NUM_EQ', values: ['1', '2'] }] },
      'constraints[0].values',
    ],
    [
      'a date that is not one',
      {
        key: 'bad-two',
        name: 'x',
        constraints: [GERMANY, { attribute: 'at', operator: 'DATE_AFTER', values: ['someday'] }],
      },
      'constraints[1].values[0]',
    ],
    ['an empty name', { key: 'bad-three', name: '' }, 'name'],
    ['a key with capitals', { key: 'Bad', name: 'x' }, 'key'],
  ])('answers 400 naming the field for %s, creating nothing', async (_, body, field) => {
    expectFieldError(await create(body), field, 'body');
    if (body.key !== 'Bad') expectError(await get(body.key), 404, 'NOT_FOUND');
  });

  it('lists segments and gets one with its ETag; viewers read but do not write; unknown keys are 404', async () => {
    expectStatus(await create({ key: 'list-a', name: 'A', description: 'first', constraints: [PRO] }), 201);
    const list = expectStatus(await answer(viewer.GET('/api/admin/segments')), 200);
    expect(list.items.map((item) => item.key)).toEqual(expect.arrayContaining(['germany', 'list-a']));
    const keys = list.items.map((item) => item.key);
    expect(keys).toEqual([...keys].sort());
    const one = await answer(
      viewer.GET('/api/admin/segments/{segmentKey}', { params: { path: { segmentKey: 'list-a' } } }),
    );
    expect(expectStatus(one, 200)).toMatchObject({ key: 'list-a', description: 'first', constraints: [PRO] });
    expect(one.headers.get('etag')).toBe('"1"');
    expectError(
      await answer(viewer.POST('/api/admin/segments', { body: { key: 'nope', name: 'x' } })),
      403,
      'FORBIDDEN',
    );
    expectError(await get('missing'), 404, 'NOT_FOUND');
    expectError(await get('NOT A KEY'), 404, 'NOT_FOUND');
  });

  it('shows the flags that use it, from the rules of every environment', async () => {
    expectStatus(await create({ key: 'used', name: 'Used', constraints: [GERMANY] }), 201);
    expectStatus(await flagUsing('seg-flag-a', 'used'), 200);
    expectStatus(await flagUsing('seg-flag-b', 'used'), 200);
    const view = expectStatus(await get('used'), 200);
    expect(view.usedBy).toEqual([
      { flagKey: 'seg-flag-a', environment: 'production' },
      { flagKey: 'seg-flag-b', environment: 'production' },
    ]);
    const listed = expectStatus(await answer(api.GET('/api/admin/segments')), 200);
    expect(listed.items.find((item) => item.key === 'used')?.usedBy).toEqual(view.usedBy);
  });

  it('a rule naming a missing segment is 400 naming it', async () => {
    const response = await flagUsing('seg-flag-missing', 'not-there');
    expect(expectFieldError(response, 'rules[0].segments[0]', 'body')).toContain('not-there');
  });

  it('replaces a segment as one audited change that bumps the config version; If-Match 412 on a stale version', async () => {
    expectStatus(await create({ key: 'editable', name: 'Editable', constraints: [GERMANY] }), 201);
    expectStatus(await flagUsing('seg-flag-edit', 'editable'), 200);
    expectError(await replace('editable', { name: 'Editable', constraints: [PRO] }, '"5"'), 412, 'PRECONDITION_FAILED');
    const mark = await auditMark(t);
    const before = await configVersion();
    const response = await replace('editable', { name: 'Editable', constraints: [GERMANY, PRO] }, '"1"');
    const view = expectStatus(response, 200);
    expect(view).toMatchObject({ version: 2, constraints: [GERMANY, PRO], description: '' });
    expect(response.headers.get('etag')).toBe('"2"');
    expect(await configVersion()).toBe(before + 1);
    // Every instance reloads: this one has already caught up (read-your-writes).
    expect(t.deps.snapshot.current.version).toBeGreaterThanOrEqual(before + 1);
    const events = await auditSince(t, mark);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'segment.updated',
      flagKey: null,
      environment: null,
      data: {
        segmentKey: 'editable',
        changedFields: ['constraints'],
        usedBy: [{ flagKey: 'seg-flag-edit', environment: 'production' }],
      },
      before: { constraints: [GERMANY], version: 1 },
      after: { constraints: [GERMANY, PRO], version: 2 },
    });
    // The same again changes nothing: no event, no version, no bump.
    const again = await replace('editable', { name: 'Editable', constraints: [GERMANY, PRO] });
    expect(expectStatus(again, 200).version).toBe(2);
    expect(await auditSince(t, mark)).toHaveLength(1);
    expect(await configVersion()).toBe(before + 1);
    expectFieldError(
      await replace('editable', {
        name: 'x',
        constraints: [{ attribute: 'v', operator: 'SEMVER_EQ', values: ['one'] }],
      }),
      'constraints[0].values[0]',
    );
    expectError(await replace('missing', { name: 'x' }), 404, 'NOT_FOUND');
  });

  it('deleting a segment in use is 409 listing the flags; unused, it is deleted (If-Match honoured), audited', async () => {
    expectStatus(await create({ key: 'doomed', name: 'Doomed' }), 201);
    expectStatus(await flagUsing('seg-flag-doomed', 'doomed'), 200);
    const mark = await auditMark(t);
    const refused = expectError(await remove('doomed'), 409, 'INVALID_STATE');
    expect(refused.message).toContain('seg-flag-doomed');
    expect(refused.details).toEqual({ flags: [{ flagKey: 'seg-flag-doomed', environment: 'production' }] });
    expect(await auditSince(t, mark)).toEqual([]);
    expectStatus(
      await answer(
        api.PATCH('/api/admin/flags/{flagKey}/targeting', {
          params: { path: { flagKey: 'seg-flag-doomed' } },
          body: { rules: [] },
        }),
      ),
      200,
    );
    expectError(await remove('doomed', '"3"'), 412, 'PRECONDITION_FAILED');
    const before = await configVersion();
    const deleted = await remove('doomed', '"1"');
    expect(deleted.status).toBe(204);
    expectError(await get('doomed'), 404, 'NOT_FOUND');
    expect(await configVersion()).toBe(before + 1);
    const [event] = (await auditSince(t, mark)).filter((e) => e.type === 'segment.deleted');
    expect(event).toMatchObject({ data: { segmentKey: 'doomed' }, before: { key: 'doomed' }, after: null });
    expectError(await remove('doomed'), 404, 'NOT_FOUND');
  });

  it('a rule added while the segment is deleted never ends up naming a deleted segment', async () => {
    for (let round = 0; round < 5; round++) {
      const segmentKey = `racing-${round}`;
      const flagKey = `seg-flag-race-${round}`;
      expectStatus(await create({ key: segmentKey, name: 'Racing' }), 201);
      expectStatus(await answer(api.POST('/api/admin/flags', { body: { key: flagKey } })), 201);
      const [added, deleted] = await Promise.all([
        answer(
          api.PATCH('/api/admin/flags/{flagKey}/targeting', {
            params: { path: { flagKey } },
            body: { rules: [{ id: 'r', constraints: [], segments: [segmentKey], serve: { variant: 'on' } }] },
          }),
        ),
        remove(segmentKey),
      ]);
      const exists = (await get(segmentKey)).status === 200;
      if (added.status === 200) {
        // The rule committed first: the delete saw it and refused.
        expect(exists).toBe(true);
        expect(deleted.status).toBe(409);
      } else {
        expectFieldError(added, 'rules[0].segments[0]');
        expect(deleted.status).toBe(204);
        expect(exists).toBe(false);
      }
    }
  });
});
