import { describe, expect, it } from 'vitest';
import type { RulesetFlag } from '../src/delivery';
import { convertUnleashExport, segmentKeyOf } from '../src/import/unleash';
import { environmentTargetingSchema, segmentSchema, variantSchema } from '../src/targeting';
import { compileFlag, evaluateFlag } from '../src/targeting/index';

const strategy = (overrides: Record<string, unknown>) => ({
  id: `s-${Math.random().toString(36).slice(2)}`,
  name: 'default',
  featureName: 'checkout',
  parameters: {},
  constraints: [],
  variants: [],
  segments: [],
  ...overrides,
});

const exportOf = (strategies: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  features: [{ name: 'checkout', description: 'New checkout', type: 'release', project: 'default' }],
  featureStrategies: strategies,
  featureEnvironments: [{ featureName: 'checkout', environment: 'development', enabled: true, variants: [] }],
  segments: [],
  contextFields: [],
  featureTags: [],
  tagTypes: [],
  dependencies: [],
  ...extra,
});

describe('convertUnleashExport', () => {
  it('maps strategies to rules in sortOrder: default, flexibleRollout (stickiness, groupId), userWithId', () => {
    const result = convertUnleashExport(
      exportOf([
        strategy({ name: 'userWithId', sortOrder: 2, parameters: { userIds: 'a, b,c' } }),
        strategy({
          name: 'flexibleRollout',
          sortOrder: 1,
          parameters: { rollout: '25', stickiness: 'userId', groupId: 'g' },
          constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', ' team', ''], caseInsensitive: true }],
        }),
        strategy({ name: 'flexibleRollout', sortOrder: 3, parameters: { rollout: '100', stickiness: 'default' } }),
        strategy({ name: 'default', sortOrder: 4, disabled: true }),
      ]),
    );
    expect(result.unsupported).toEqual([]);
    const [flag] = result.flags;
    expect(flag?.type).toBe('boolean');
    expect(flag?.variants).toEqual([
      { key: 'off', value: false },
      { key: 'on', value: true },
    ]);
    const targeting = environmentTargetingSchema.parse(flag?.targeting);
    expect(targeting.rules.map((rule) => [rule.constraints, rule.rollout, rule.serve])).toEqual([
      [
        // Unleash ignores caseInsensitive on IN, trims values and drops empty ones.
        [{ attribute: 'plan', operator: 'IN', values: ['pro', 'team'] }],
        { percentage: 25, stickiness: 'targetingKey', groupId: 'g' },
        { variant: 'on' },
      ],
      [[{ attribute: 'targetingKey', operator: 'IN', values: ['a', 'b', 'c'] }], undefined, { variant: 'on' }],
      // 100 % on default stickiness lets everyone in, anonymous callers too.
      [[], undefined, { variant: 'on' }],
    ]);
    expect(targeting).toMatchObject({ enabled: true, offVariant: 'off', fallthrough: { variant: 'off' } });
  });

  it('serves strategy variants hashed on the strategy groupId, else feature variants hashed on the flag name', () => {
    const variants = [
      {
        name: 'blue',
        weight: 500,
        stickiness: 'default',
        weightType: 'variable',
        payload: { type: 'string', value: 'b' },
      },
      { name: 'red', weight: 500, stickiness: 'default', weightType: 'variable' },
    ];
    const result = convertUnleashExport(
      exportOf(
        [
          strategy({
            name: 'flexibleRollout',
            sortOrder: 0,
            parameters: { rollout: '50', stickiness: 'sessionId', groupId: 'grp' },
            variants: [{ name: 'big', weight: 1000, stickiness: 'tenant', weightType: 'variable' }],
          }),
          strategy({
            sortOrder: 1,
            constraints: [
              {
                contextName: 'userId',
                operator: 'STR_STARTS_WITH',
                values: ['x'],
                caseInsensitive: true,
                inverted: true,
              },
            ],
          }),
        ],
        { featureEnvironments: [{ featureName: 'checkout', environment: 'development', enabled: true, variants }] },
      ),
    );
    expect(result.unsupported).toEqual([]);
    const rules = result.flags[0]?.targeting.rules ?? [];
    expect(rules[0]?.serve).toEqual({
      split: { variants: [{ variant: 'big', weight: 1000 }], stickiness: 'tenant', groupId: 'grp' },
    });
    expect(rules[1]?.constraints).toEqual([
      { attribute: 'targetingKey', operator: 'STR_STARTS_WITH', values: ['x'], inverted: true, caseInsensitive: true },
    ]);
    expect(rules[1]?.serve).toEqual({
      split: {
        variants: [
          { variant: 'blue', weight: 500 },
          { variant: 'red', weight: 500 },
        ],
        groupId: 'checkout',
      },
    });
    const flagVariants = result.flags[0]?.variants ?? [];
    for (const variant of flagVariants) variantSchema.parse(variant);
    expect(flagVariants.find((variant) => variant.key === 'blue')).toEqual({
      key: 'blue',
      value: true,
      description: 'Unleash payload (string): b',
    });
  });

  it('an enabled feature without strategies is on for everyone (feature variants still split)', () => {
    const result = convertUnleashExport(exportOf([]));
    expect(result.flags[0]?.targeting).toMatchObject({ enabled: true, rules: [], fallthrough: { variant: 'on' } });
  });

  it('reports what it cannot represent and leaves out the whole strategy, never part of it', () => {
    const result = convertUnleashExport(
      exportOf(
        [
          strategy({ sortOrder: 0, constraints: [{ contextName: 'email', operator: 'REGEX', value: '.*@acme' }] }),
          strategy({
            sortOrder: 1,
            constraints: [{ contextName: 'remoteAddress', operator: 'IN_CIDR', values: ['10.0.0.0/8'] }],
          }),
          strategy({ sortOrder: 2, name: 'remoteAddress', parameters: { IPs: '1.2.3.4' } }),
          strategy({ sortOrder: 3, name: 'flexibleRollout', parameters: { rollout: '5', stickiness: 'random' } }),
          strategy({ sortOrder: 4, segments: [7] }),
          strategy({ sortOrder: 5, segments: [8] }),
        ],
        {
          segments: [
            { id: 7, name: 'Beta testers' },
            { id: 8, name: 'Internal' },
          ],
        },
      ),
      {
        segments: [
          {
            id: 8,
            name: 'Internal',
            constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }],
          },
        ],
      },
    );
    expect(result.unsupported.map((part) => part.path)).toEqual([
      'segments[0]',
      'featureStrategies[0]',
      'featureStrategies[1]',
      'featureStrategies[2]',
      'featureStrategies[3]',
      'featureStrategies[4]',
    ]);
    expect(result.unsupported[1]?.reason).toContain('REGEX');
    // Every strategy had something unsupported but the one on segment "Internal": the flag keeps only that one.
    expect(result.flags[0]?.targeting.rules.map((rule) => rule.segments)).toEqual([['internal']]);
    expect(result.segments.map((segment) => segmentSchema.parse(segment).key)).toEqual(['internal']);
  });

  it('leaves out a feature whose name or variant names do not fit, and one with dependencies', () => {
    const result = convertUnleashExport({
      features: [{ name: 'Checkout' }, { name: 'child' }, { name: 'onoff' }],
      featureEnvironments: [
        { featureName: 'onoff', enabled: true, variants: [{ name: 'off', weight: 1000, stickiness: 'default' }] },
      ],
      dependencies: [{ feature: 'child', dependencies: [{ feature: 'parent' }] }],
    });
    expect(result.flags).toEqual([]);
    expect(result.unsupported.map((part) => part.path)).toEqual(['features[0]', 'features[1]', 'features[2]']);
  });

  it('segment keys are unique slugs of the names', () => {
    const taken = new Set(['beta-testers']);
    expect(segmentKeyOf('Beta testers!', taken)).toBe('beta-testers-2');
    expect(segmentKeyOf('  Ünïcode Users ', new Set())).toBe('unicode-users');
    expect(segmentKeyOf('***', new Set())).toBe('segment');
  });
});

describe("the engine on imported rollouts (Unleash's flexibleRollout)", () => {
  const flagWith = (stickiness: string | undefined): RulesetFlag => ({
    key: 'checkout',
    description: '',
    enabled: true,
    rolloutPercentage: 0,
    overrides: { include: [], exclude: [] },
    type: 'boolean',
    variants: [],
    offVariant: 'off',
    rules: [
      {
        id: 'r1',
        constraints: [],
        segments: [],
        rollout: { percentage: 100, groupId: 'g', ...(stickiness ? { stickiness } : {}) },
        serve: { variant: 'on' },
      },
    ],
    fallthrough: { variant: 'off' },
  });

  it('at 100 % a named stickiness attribute must be there (and not empty); default stickiness lets everyone in', () => {
    const named = compileFlag(flagWith('tenant'));
    expect(evaluateFlag(named, { targetingKey: 'u1', tenant: 'acme' }).value).toBe(true);
    expect(evaluateFlag(named, { targetingKey: 'u1' }).value).toBe(false);
    expect(evaluateFlag(named, { targetingKey: 'u1', tenant: '' }).value).toBe(false);
    const byDefault = compileFlag(flagWith(undefined));
    expect(evaluateFlag(byDefault, {}).value).toBe(true);
  });
});
