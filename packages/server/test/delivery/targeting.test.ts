import type { Ruleset, RulesetChange, Segment } from '@flagline/core';
import { describe, expect, it } from 'vitest';
import { ChangeHub } from '../../src/delivery/change-hub';
import { useTestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { expectStatus } from '../helpers/http';
import { deleteSegment, writeSegment, writeTypedFlag } from '../helpers/targeting';

const EU_PRO: Segment = {
  key: 'eu-pro',
  name: 'EU pro customers',
  description: '',
  constraints: [
    { attribute: 'country', operator: 'IN', values: ['DE', 'FR'] },
    { attribute: 'plan', operator: 'IN', values: ['pro'] },
  ],
};

const THEME = {
  key: 'checkout-theme',
  type: 'string' as const,
  variants: [
    { key: 'classic', value: 'classic' },
    { key: 'blue', value: 'blue' },
  ],
  targeting: {
    enabled: true,
    offVariant: 'classic',
    rules: [
      {
        id: 'eu-pro-new-app',
        constraints: [{ attribute: 'app.version', operator: 'SEMVER_GTE' as const, values: ['2.0.0'] }],
        segments: ['eu-pro'],
        serve: { variant: 'blue' },
      },
    ],
    fallthrough: { variant: 'classic' },
  },
};

const EU_PRO_CONTEXT = { targetingKey: 'u-1', country: 'DE', plan: 'pro', app: { version: '2.1.0' } };

describe.each(testBackends())('typed flags and targeting over delivery (%s)', (backend) => {
  const t = useTestApp(backend);
  const ofrep = (path: string, body: unknown) =>
    t.request<Record<string, unknown>>('POST', `/ofrep/v1/evaluate/flags${path}`, { token: t.tokens.client, body });

  it('OFREP evaluates a string flag with a rule and a segment on the whole context', async () => {
    await writeSegment(t, EU_PRO);
    await writeTypedFlag(t, THEME);
    expect(expectStatus(await ofrep('/checkout-theme', { context: EU_PRO_CONTEXT }), 200)).toEqual({
      key: 'checkout-theme',
      value: 'blue',
      reason: 'TARGETING_MATCH',
      variant: 'blue',
      metadata: { ruleId: 'eu-pro-new-app' },
    });
    // The segment's constraint fails (plan), then the rule's own (app.version): the fallthrough both times.
    for (const context of [
      { ...EU_PRO_CONTEXT, plan: 'free' },
      { ...EU_PRO_CONTEXT, app: { version: '1.9.9' } },
    ]) {
      expect(expectStatus(await ofrep('/checkout-theme', { context }), 200)).toEqual({
        key: 'checkout-theme',
        value: 'classic',
        reason: 'DEFAULT',
        variant: 'classic',
      });
    }
  });

  it('OFREP bulk carries every type; a plain boolean flag keeps its exact shape', async () => {
    await writeSegment(t, EU_PRO);
    await writeTypedFlag(t, THEME);
    await writeTypedFlag(t, {
      key: 'max-items',
      type: 'number',
      variants: [
        { key: 'few', value: 3 },
        { key: 'many', value: 30 },
      ],
      targeting: { enabled: true, offVariant: 'few', rules: [], fallthrough: { variant: 'many' } },
    });
    await writeTypedFlag(t, {
      key: 'banner',
      type: 'json',
      variants: [{ key: 'sale', value: { text: 'Sale', colour: 'red' } }],
      targeting: { enabled: false, offVariant: 'sale', rules: [], fallthrough: null },
    });
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'plain-on' } }), 201);
    expectStatus(
      await t.request('PATCH', '/api/admin/flags/plain-on', { body: { enabled: true, rolloutPercentage: 100 } }),
      200,
    );
    const bulk = expectStatus(await ofrep('', { context: EU_PRO_CONTEXT }), 200) as { flags: unknown[] };
    expect(bulk.flags).toEqual(
      expect.arrayContaining([
        { key: 'banner', value: { text: 'Sale', colour: 'red' }, reason: 'DISABLED', variant: 'sale' },
        {
          key: 'checkout-theme',
          value: 'blue',
          reason: 'TARGETING_MATCH',
          variant: 'blue',
          metadata: { ruleId: 'eu-pro-new-app' },
        },
        { key: 'max-items', value: 30, reason: 'STATIC', variant: 'many' },
        { key: 'plain-on', value: true, reason: 'STATIC', variant: 'on', metadata: { rolloutPercentage: 100 } },
      ]),
    );
    // The ETag covers the attributes once a flag reads them: another plan is another answer.
    const first = await ofrep('', { context: EU_PRO_CONTEXT });
    const other = await ofrep('', { context: { ...EU_PRO_CONTEXT, plan: 'free' } });
    expect(first.headers.get('etag')).not.toBe(other.headers.get('etag'));
    // The origin's boolean answer lists boolean flags only.
    const config = expectStatus(
      await t.request<Record<string, unknown>>('GET', '/api/config/flags?userId=u-1', { token: t.tokens.client }),
      200,
    );
    expect(config).toMatchObject({ 'plain-on': true });
    expect(config).not.toHaveProperty('checkout-theme');
  });

  it("answers errors in OFREP's shape: FLAG_NOT_FOUND 404, PARSE_ERROR and INVALID_CONTEXT 400", async () => {
    expect(await ofrep('/no-such-flag', { context: {} })).toMatchObject({
      status: 404,
      body: { key: 'no-such-flag', errorCode: 'FLAG_NOT_FOUND' },
    });
    const parse = await t.request('POST', '/ofrep/v1/evaluate/flags/checkout-theme', {
      token: t.tokens.client,
      rawBody: '{"context":',
    });
    expect(parse).toMatchObject({
      status: 400,
      body: { key: 'checkout-theme', errorCode: 'PARSE_ERROR', error: 'INVALID_JSON' },
    });
    const invalid = await ofrep('/checkout-theme', { context: { targetingKey: 42 } });
    expect(invalid).toMatchObject({
      status: 400,
      body: { key: 'checkout-theme', errorCode: 'INVALID_CONTEXT', error: 'VALIDATION_FAILED' },
    });
    expect(await ofrep('', { context: 'nope' })).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
  });

  it('the ruleset carries the typed fields and the segments used, and none of it for plain boolean flags', async () => {
    await writeSegment(t, EU_PRO);
    await writeTypedFlag(t, THEME);
    expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'plain-flag' } }), 201);
    const ruleset = expectStatus(await t.request<Ruleset>('GET', '/api/client/flags', { token: t.tokens.client }), 200);
    const theme = ruleset.flags.find((flag) => flag.key === 'checkout-theme');
    expect(theme).toMatchObject({
      type: 'string',
      variants: THEME.variants,
      offVariant: 'classic',
      rules: THEME.targeting.rules,
      fallthrough: { variant: 'classic' },
    });
    expect(Object.keys(ruleset.flags.find((flag) => flag.key === 'plain-flag') ?? {})).toEqual([
      'key',
      'description',
      'enabled',
      'rolloutPercentage',
      'overrides',
    ]);
    expect(ruleset.segments).toEqual([EU_PRO]);
  });

  it('a segment change puts every flag using it in the change event, with the segment', async () => {
    await writeSegment(t, EU_PRO);
    await writeTypedFlag(t, THEME);
    const hub = new ChangeHub(t.deps.snapshot);
    const received: RulesetChange[] = [];
    hub.subscribe('production', (change) => received.push(change));
    const before = t.deps.snapshot.current.version;
    const widened: Segment = {
      ...EU_PRO,
      constraints: [{ attribute: 'country', operator: 'IN', values: ['DE', 'FR', 'IT'] }],
    };
    await writeSegment(t, widened);
    expect(received).toHaveLength(1);
    expect(received[0]?.changed.map((flag) => flag.key)).toEqual(['checkout-theme']);
    expect(received[0]?.segments).toEqual([widened]);
    expect(received[0]?.deleted).toEqual([]);
    // A client that missed it catches up through Last-Event-ID with the same event.
    expect(hub.changesSince('production', before, t.deps.snapshot.current.version)).toEqual(received);
    // Italy is in now, over OFREP too.
    const italy = { targetingKey: 'u-2', country: 'IT', app: { version: '3.0.0' } };
    expect(expectStatus(await ofrep('/checkout-theme', { context: italy }), 200)).toMatchObject({ value: 'blue' });
    // A segment removed (here straight from the table) leaves its rule unable to match.
    await deleteSegment(t, 'eu-pro');
    expect(received[1]).toMatchObject({ changed: [{ key: 'checkout-theme' }], deletedSegments: ['eu-pro'] });
    expect(expectStatus(await ofrep('/checkout-theme', { context: italy }), 200)).toMatchObject({ value: 'classic' });
  });
});
