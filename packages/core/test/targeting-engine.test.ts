import fc from 'fast-check';
import type { Context } from 'unleash-client';
import FlexibleRolloutStrategy from 'unleash-client/lib/strategy/flexible-rollout-strategy.js';
import { selectVariantDefinition, type VariantDefinition } from 'unleash-client/lib/variant.js';
import { describe, expect, it } from 'vitest';
import {
  compileFlag,
  type EvaluationContext,
  evaluate,
  evaluateFlag,
  type RulesetFlag,
  type Segment,
  selectSplitIndex,
  splitStickiness,
  toEvaluableFlag,
  validateFlagTargeting,
  validateSegment,
} from '../src/index';
import { int, pick, prng, uuid } from './helpers';

const NON_ASCII = ['josé', '用户-42', '🚀', 'пользователь', 'e\u0301', 'Ünïcödé'];

function stickinessValues(count: number): string[] {
  const random = prng(0x5eed);
  return Array.from({ length: count }, (_, i) =>
    i % 5 === 4 ? `${pick(random, NON_ASCII)}-${int(random, 1, 999)}` : uuid(random),
  );
}

const booleanFlag = (patch: Partial<RulesetFlag> = {}): RulesetFlag => ({
  key: 'new-checkout',
  description: '',
  enabled: true,
  rolloutPercentage: 50,
  overrides: { include: [], exclude: [] },
  ...patch,
});

const SEGMENTS = new Map<string, Segment>([
  [
    'eu-pro',
    {
      key: 'eu-pro',
      name: 'EU pro',
      description: '',
      constraints: [
        { attribute: 'country', operator: 'IN', values: ['DE', 'FR'] },
        { attribute: 'plan', operator: 'IN', values: ['pro'] },
      ],
    },
  ],
]);

const stringFlag: RulesetFlag = booleanFlag({
  key: 'checkout-theme',
  type: 'string',
  variants: [
    { key: 'classic', value: 'classic' },
    { key: 'blue', value: 'blue' },
    { key: 'green', value: 'green' },
  ],
  offVariant: 'classic',
  overrides: { include: ['pinned-user'], exclude: ['excluded-user'], pins: { 'pinned-user': 'green' } },
  rules: [
    {
      id: 'eu-pro',
      constraints: [{ attribute: 'appVersion', operator: 'SEMVER_GTE', values: ['2.0.0'] }],
      segments: ['eu-pro'],
      serve: { variant: 'blue' },
    },
    {
      id: 'beta-half',
      constraints: [{ attribute: 'beta', operator: 'IN', values: ['true'] }],
      segments: [],
      rollout: { percentage: 50 },
      serve: { variant: 'green' },
    },
    {
      id: 'beta-rest',
      constraints: [{ attribute: 'beta', operator: 'IN', values: ['true'] }],
      segments: [],
      serve: {
        split: {
          variants: [
            { variant: 'blue', weight: 500 },
            { variant: 'green', weight: 500 },
          ],
        },
      },
    },
  ],
  fallthrough: { variant: 'classic' },
});

describe('rollout and split hashing agree with unleash-client', () => {
  it('a rule rollout includes exactly the contexts flexibleRollout includes (ASCII and non-ASCII)', () => {
    const strategy = new FlexibleRolloutStrategy();
    for (const percentage of [1, 10, 33, 50, 99]) {
      const flag = compileFlag(
        booleanFlag({
          fallthrough: { variant: 'off' },
          rules: [
            {
              id: 'r',
              constraints: [],
              segments: [],
              rollout: { percentage, groupId: 'g1' },
              serve: { variant: 'on' },
            },
          ],
        }),
        new Map(),
      );
      let included = 0;
      for (const userId of stickinessValues(2000)) {
        const expected = strategy.isEnabled({ rollout: percentage, groupId: 'g1', stickiness: 'default' }, { userId });
        expect(evaluateFlag(flag, { targetingKey: userId }).value).toBe(expected);
        if (expected) included++;
      }
      expect(Math.abs(included / 2000 - percentage / 100)).toBeLessThan(0.05);
    }
  });

  it('a split picks the variant selectVariantDefinition picks (custom and default stickiness)', () => {
    const weights = [0, 333, 333, 0, 334];
    const variants: VariantDefinition[] = weights.map((weight, index) => ({
      name: `v${index}`,
      weight,
      stickiness: 'default',
    }));
    const byTenant = splitStickiness('tenant');
    const byDefault = splitStickiness(undefined);
    for (const value of stickinessValues(3000)) {
      const tenantContext: Context = { properties: { tenant: value } };
      const expectedTenant = selectVariantDefinition('group-7', 'tenant', variants, tenantContext);
      expect(`v${selectSplitIndex(weights, 1000, byTenant({ tenant: value }) ?? '', 'group-7')}`).toBe(
        expectedTenant?.name,
      );
      const expectedDefault = selectVariantDefinition('group-7', 'default', variants, { sessionId: value });
      expect(`v${selectSplitIndex(weights, 1000, byDefault({ sessionId: value }) ?? '', 'group-7')}`).toBe(
        expectedDefault?.name,
      );
    }
  });
});

describe('evaluateFlag', () => {
  const compiled = compileFlag(stringFlag, SEGMENTS);

  it('walks not found → disabled → overrides → rules → fallthrough', () => {
    expect(evaluateFlag(undefined, {})).toMatchObject({ reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    const disabled = compileFlag({ ...stringFlag, enabled: false }, SEGMENTS);
    expect(evaluateFlag(disabled, { targetingKey: 'pinned-user' })).toEqual({
      value: 'classic',
      variant: 'classic',
      reason: 'DISABLED',
    });
    expect(evaluateFlag(compiled, { targetingKey: 'pinned-user' })).toMatchObject({
      value: 'green',
      reason: 'TARGETING_MATCH',
    });
    expect(
      evaluateFlag(compiled, { targetingKey: 'excluded-user', country: 'DE', plan: 'pro', appVersion: '2.1.0' }),
    ).toMatchObject({ variant: 'classic', reason: 'TARGETING_MATCH' });
    expect(evaluateFlag(compiled, { targetingKey: 'u1', country: 'DE', plan: 'pro', appVersion: '2.1.0' })).toEqual({
      value: 'blue',
      variant: 'blue',
      reason: 'TARGETING_MATCH',
      metadata: { ruleId: 'eu-pro' },
    });
    // The segment's constraints must hold too.
    expect(evaluateFlag(compiled, { targetingKey: 'u1', country: 'US', plan: 'pro', appVersion: '2.1.0' })).toEqual({
      value: 'classic',
      variant: 'classic',
      reason: 'DEFAULT',
    });
  });

  it('leaves contexts outside a rule rollout to the next rule', () => {
    const reasons = new Map<string, number>();
    for (const key of stickinessValues(2000)) {
      const resolution = evaluateFlag(compiled, { targetingKey: key, beta: true });
      const label = `${resolution.metadata?.ruleId}/${resolution.reason}`;
      reasons.set(label, (reasons.get(label) ?? 0) + 1);
    }
    expect([...reasons.keys()].sort()).toEqual(['beta-half/TARGETING_MATCH', 'beta-rest/SPLIT']);
    expect(reasons.get('beta-half/TARGETING_MATCH')).toBeGreaterThan(900);
    expect(reasons.get('beta-half/TARGETING_MATCH')).toBeLessThan(1100);
  });

  it('a rule referencing a missing segment never matches', () => {
    const flag = compileFlag(stringFlag, new Map());
    expect(evaluateFlag(flag, { targetingKey: 'u1', country: 'DE', plan: 'pro', appVersion: '2.1.0' }).reason).toBe(
      'DEFAULT',
    );
  });

  it('answers INVALID_CONTEXT for a non-string targeting key, and a non-boolean flag without fallthrough its off variant', () => {
    expect(evaluateFlag(compiled, { targetingKey: 42 as unknown as string })).toMatchObject({
      reason: 'ERROR',
      errorCode: 'INVALID_CONTEXT',
    });
    const noFallthrough = compileFlag({ ...stringFlag, fallthrough: null, rules: [] }, SEGMENTS);
    expect(evaluateFlag(noFallthrough, { targetingKey: 'u1' })).toEqual({
      value: 'classic',
      variant: 'classic',
      reason: 'DEFAULT',
    });
  });

  it('serves the first weighted variant of a split when the context has no stickiness value', () => {
    const flag = compileFlag(
      {
        ...stringFlag,
        rules: [],
        fallthrough: {
          split: {
            variants: [
              { variant: 'blue', weight: 0 },
              { variant: 'green', weight: 1000 },
            ],
          },
        },
      },
      SEGMENTS,
    );
    expect(evaluateFlag(flag, {})).toEqual({ value: 'green', variant: 'green', reason: 'SPLIT' });
  });

  it('answers a boolean flag without rules exactly as evaluate() does, with shared Resolution objects', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
        (enabled, rolloutPercentage, userId, include, exclude) => {
          const source = booleanFlag({ enabled, rolloutPercentage, overrides: { include, exclude } });
          const legacy = evaluate(toEvaluableFlag(source), userId);
          const flag = compileFlag(source, new Map());
          const context: EvaluationContext = userId === undefined ? {} : { targetingKey: userId };
          const resolution = evaluateFlag(flag, context);
          expect({ value: resolution.value, reason: resolution.reason }).toEqual(legacy);
          expect(resolution.variant).toBe(legacy.value ? 'on' : 'off');
          expect(evaluateFlag(flag, context)).toBe(resolution);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

const attributeNames = fc.constantFrom('plan', 'country', 'userId', 'targetingKey', 'account.tier', 'currentTime', 'v');
const operators = fc.constantFrom(
  'IN',
  'NOT_IN',
  'STR_CONTAINS',
  'STR_STARTS_WITH',
  'STR_ENDS_WITH',
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_GTE',
  'SEMVER_LT',
  'SEMVER_LTE',
) as fc.Arbitrary<RulesetFlagRule['constraints'][number]['operator']>;
type RulesetFlagRule = NonNullable<RulesetFlag['rules']>[number];
const constraintValue = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('1.2.3', '42', '2024-01-01', 'pro', ''));
const constraint = fc.record({
  attribute: attributeNames,
  operator: operators,
  values: fc.array(constraintValue, { maxLength: 3 }),
  inverted: fc.boolean(),
  caseInsensitive: fc.boolean(),
});
const variantKey = fc.constantFrom('on', 'off', 'a', 'b', 'missing');
const serve = fc.oneof(
  fc.record({ variant: variantKey }),
  fc.record({
    split: fc.record({
      variants: fc.array(fc.record({ variant: variantKey, weight: fc.integer({ min: 0, max: 1000 }) }), {
        minLength: 1,
        maxLength: 4,
      }),
      stickiness: fc.option(attributeNames, { nil: undefined }),
      groupId: fc.option(fc.string({ minLength: 1, maxLength: 5 }), { nil: undefined }),
    }),
  }),
);
const rule = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  constraints: fc.array(constraint, { maxLength: 3 }),
  segments: fc.array(fc.constantFrom('eu-pro', 'unknown'), { maxLength: 2 }),
  rollout: fc.option(fc.record({ percentage: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }),
  serve,
});
const arbitraryFlag: fc.Arbitrary<RulesetFlag> = fc.record({
  key: fc.string({ minLength: 1, maxLength: 10 }),
  description: fc.constant(''),
  enabled: fc.boolean(),
  rolloutPercentage: fc.integer({ min: 0, max: 100 }),
  overrides: fc.record({
    include: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
    exclude: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
    pins: fc.option(fc.dictionary(fc.string({ maxLength: 3 }), variantKey), { nil: undefined }),
  }),
  type: fc.option(fc.constantFrom('boolean', 'string', 'number', 'json'), { nil: undefined }),
  variants: fc.option(
    fc.array(fc.record({ key: variantKey, value: fc.oneof(fc.boolean(), fc.string(), fc.double(), fc.object()) }), {
      maxLength: 4,
    }),
    { nil: undefined },
  ),
  offVariant: fc.option(variantKey, { nil: undefined }),
  rules: fc.option(fc.array(rule, { maxLength: 4 }), { nil: undefined }),
  fallthrough: fc.option(serve, { nil: null }),
}) as fc.Arbitrary<RulesetFlag>;
const arbitraryContext: fc.Arbitrary<EvaluationContext> = fc.dictionary(
  fc.oneof(attributeNames, fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'sessionId')),
  fc.oneof(fc.anything(), fc.constantFrom('1.2.3', 'v2.0.0', '2024-06-01', 'pro', 'DE', 42)),
  { maxKeys: 6 },
);

describe('properties', () => {
  it('evaluateFlag never throws and is deterministic for arbitrary flags and contexts', () => {
    fc.assert(
      fc.property(arbitraryFlag, arbitraryContext, (source, context) => {
        const flag = compileFlag(source, SEGMENTS);
        const first = evaluateFlag(flag, context);
        expect(evaluateFlag(flag, context)).toEqual(first);
        expect(evaluateFlag(compileFlag(source, SEGMENTS), context)).toEqual(first);
        expect(typeof first.variant).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  it("a 3-way split's shares converge to its weights within 2 % over 20k keys", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 800 }),
        fc.integer({ min: 50, max: 800 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (a, b, groupId) => {
          fc.pre(a + b <= 950);
          const weights = [a, b, 1000 - a - b];
          const flag = compileFlag(
            booleanFlag({
              type: 'string',
              variants: [
                { key: 'x', value: 'x' },
                { key: 'y', value: 'y' },
                { key: 'z', value: 'z' },
              ],
              fallthrough: {
                split: {
                  groupId,
                  variants: [
                    { variant: 'x', weight: a },
                    { variant: 'y', weight: b },
                    { variant: 'z', weight: 1000 - a - b },
                  ],
                },
              },
            }),
          );
          const counts = { x: 0, y: 0, z: 0 } as Record<string, number>;
          for (let i = 0; i < 20_000; i++) {
            const variant = evaluateFlag(flag, { targetingKey: `user-${i}` }).variant;
            counts[variant] = (counts[variant] ?? 0) + 1;
          }
          ['x', 'y', 'z'].forEach((key, index) => {
            expect(Math.abs((counts[key] ?? 0) / 20_000 - (weights[index] ?? 0) / 1000)).toBeLessThan(0.02);
          });
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe('validateFlagTargeting', () => {
  it('accepts a consistent flag', () => {
    expect(
      validateFlagTargeting({
        type: 'string',
        variants: stringFlag.variants,
        targeting: {
          enabled: true,
          rolloutPercentage: 0,
          offVariant: 'classic',
          rules: stringFlag.rules ?? [],
          fallthrough: stringFlag.fallthrough ?? null,
        },
        segmentKeys: ['eu-pro'],
      }),
    ).toEqual([]);
  });

  it('names every problem by path', () => {
    const problems = validateFlagTargeting({
      type: 'number',
      variants: [
        { key: 'low', value: 1 },
        { key: 'low', value: 'two' },
      ],
      targeting: {
        enabled: true,
        rolloutPercentage: 0,
        offVariant: 'none',
        rules: [
          {
            id: 'r',
            constraints: [
              { attribute: 'age', operator: 'NUM_GT', values: ['x'] },
              { attribute: 'age', operator: 'NUM_LT', values: ['1', '2'] },
              { attribute: 'currentTime', operator: 'DATE_AFTER', values: ['soon'] },
              { attribute: 'version', operator: 'SEMVER_GT', values: ['v1.2.3'] },
              { attribute: 'plan', operator: 'IN', values: [''] },
            ],
            segments: ['ghost'],
            serve: { variant: 'high' },
          },
          {
            id: 'r',
            constraints: [],
            segments: [],
            serve: {
              split: {
                variants: [
                  { variant: 'low', weight: 999 },
                  { variant: 'nope', weight: 1 },
                ],
              },
            },
          },
        ],
        fallthrough: { variant: 'medium' },
      },
      segmentKeys: new Set(),
    });
    expect(problems.map((problem) => problem.path).sort()).toEqual(
      [
        'variants.1.key',
        'variants.1.value',
        'targeting.offVariant',
        'targeting.rules.0.constraints.0.values.0',
        'targeting.rules.0.constraints.1.values',
        'targeting.rules.0.constraints.2.values.0',
        'targeting.rules.0.constraints.3.values.0',
        'targeting.rules.0.constraints.4.values',
        'targeting.rules.0.segments.0',
        'targeting.rules.0.serve.variant',
        'targeting.rules.1.id',
        'targeting.rules.1.serve.split.variants.1.variant',
        'targeting.fallthrough.variant',
      ].sort(),
    );
  });

  it('lets a boolean flag without declared variants use on/off only', () => {
    const problems = validateFlagTargeting({
      type: 'boolean',
      targeting: {
        enabled: true,
        rolloutPercentage: 10,
        offVariant: null,
        rules: [],
        fallthrough: { variant: 'blue' },
      },
      segmentKeys: [],
    });
    expect(problems).toEqual([{ path: 'targeting.fallthrough.variant', message: expect.stringContaining('"blue"') }]);
  });

  it('validates a segment', () => {
    expect(validateSegment({ constraints: [{ attribute: 'plan', operator: 'SEMVER_EQ', values: [] }] })).toEqual([
      { path: 'constraints.0.values', message: 'SEMVER_EQ takes exactly one value, got 0' },
    ]);
  });
});
