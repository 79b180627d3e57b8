import { type Context, Strategy } from 'unleash-client';
import type { Constraint as UnleashConstraint } from 'unleash-client/lib/strategy/strategy.js';
import { describe, expect, it } from 'vitest';
import { type Constraint, type ConstraintOperator, compileConstraint, type EvaluationContext } from '../src/index';

/**
 * Golden tests: every expected value is computed here by unleash-client's own Strategy.checkConstraint on the same
 * constraint and the same context (Unleash's context shape: `userId`, `properties.X`), so a change in either
 * implementation shows up as a disagreement.
 */
const unleash = new Strategy('golden', true);

type Odd = string | number | boolean | null | undefined | Date;

const STRING_VALUES: Odd[] = [
  undefined,
  null,
  '',
  ' ',
  'pro',
  ' pro ',
  'Pro',
  'PRO',
  'enterprise',
  'ENTERPRISE-x',
  'x-pro',
  'İstanbul',
  'istanbul',
  'STRASSE',
  'straße',
  'Zoë',
  '用户',
  42,
  0,
  -1,
  4.2,
  true,
  false,
  'true',
  '42',
  '4.2e1',
  ' 7 ',
  '0x10',
  'Infinity',
];
const VERSIONS: Odd[] = [
  undefined,
  null,
  '',
  '1.2.3',
  '1.2.4',
  '1.2.2',
  'v1.2.3',
  '=1.2.3',
  ' 1.2.3',
  '1.2.3 ',
  '1.2',
  '1.2.3-beta.1',
  '1.2.3-beta.2',
  '1.2.3-alpha',
  '1.2.3+build.5',
  '2.0.0',
  '0.0.0',
  'garbage',
  123,
  true,
];
const TIMES: Odd[] = [
  undefined,
  null,
  '',
  0,
  '2023-06-01T00:00:00Z',
  '2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00.001Z',
  '2100-01-01',
  'garbage',
  1_700_000_000_000,
  new Date('2050-01-01T00:00:00Z'),
  new Date('2000-01-01T00:00:00Z'),
];

const VALUE_LISTS: Record<'list' | 'number' | 'date' | 'semver', string[][]> = {
  list: [
    ['pro', 'enterprise'],
    [' pro ', ''],
    ['Pro'],
    ['PRO', 'İSTANBUL'],
    ['42', 'true'],
    [''],
    ['  '],
    ['str', 'x-'],
  ],
  number: [['42'], ['4.2e1'], ['-1'], [' 7 '], ['0'], ['abc'], [''], ['4.2'], ['Infinity']],
  date: [['2024-01-01T00:00:00Z'], ['2099-01-01'], ['2000-01-01'], ['not a date'], ['1700000000000']],
  semver: [['1.2.3'], ['v1.2.3'], ['1.2.3-beta.1'], ['1.2'], [''], ['2.0.0'], ['1.2.3+build.9']],
};

const OPERATORS: Record<ConstraintOperator, keyof typeof VALUE_LISTS> = {
  IN: 'list',
  NOT_IN: 'list',
  STR_CONTAINS: 'list',
  STR_STARTS_WITH: 'list',
  STR_ENDS_WITH: 'list',
  NUM_EQ: 'number',
  NUM_GT: 'number',
  NUM_GTE: 'number',
  NUM_LT: 'number',
  NUM_LTE: 'number',
  DATE_AFTER: 'date',
  DATE_BEFORE: 'date',
  SEMVER_EQ: 'semver',
  SEMVER_GT: 'semver',
  SEMVER_GTE: 'semver',
  SEMVER_LT: 'semver',
  SEMVER_LTE: 'semver',
};

function contextValues(operator: ConstraintOperator): Odd[] {
  if (operator.startsWith('SEMVER_')) return VERSIONS;
  if (operator.startsWith('DATE_')) return TIMES;
  return STRING_VALUES;
}

/** The same context twice: Unleash's (properties) and OpenFeature's (flat attributes). */
function contexts(attribute: string, value: Odd): { unleash: Context; flagline: EvaluationContext } {
  if (attribute === 'currentTime') {
    const unleashContext = value === undefined || value === null ? {} : { currentTime: value };
    return { unleash: unleashContext as unknown as Context, flagline: { ...unleashContext } };
  }
  if (attribute === 'userId') {
    if (value === undefined || value === null) return { unleash: {}, flagline: {} };
    // A targeting key is a string in OpenFeature; Unleash stringifies whatever it gets.
    return { unleash: { userId: String(value) }, flagline: { targetingKey: String(value) } };
  }
  if (value === undefined || value === null) return { unleash: { properties: {} }, flagline: {} };
  return {
    unleash: { properties: { [attribute]: value } } as unknown as Context,
    flagline: { [attribute]: value },
  };
}

function unleashConstraint(constraint: Constraint, single: boolean): UnleashConstraint {
  return {
    contextName: constraint.attribute,
    operator: constraint.operator as UnleashConstraint['operator'],
    inverted: constraint.inverted ?? false,
    caseInsensitive: constraint.caseInsensitive ?? false,
    values: single ? [] : constraint.values,
    ...(single ? { value: constraint.values[0] } : {}),
  };
}

/**
 * Unleash ignores caseInsensitive on IN/NOT_IN; Flagline applies it (a documented extension), which is the same as
 * asking Unleash with both sides lower-cased.
 */
function expectedFromUnleash(constraint: Constraint, value: Odd): boolean {
  const single = OPERATORS[constraint.operator] !== 'list';
  const lowerIn =
    constraint.caseInsensitive === true && (constraint.operator === 'IN' || constraint.operator === 'NOT_IN');
  const asked: Constraint = lowerIn
    ? { ...constraint, values: constraint.values.map((v) => v.toLocaleLowerCase()) }
    : constraint;
  const contextValue =
    lowerIn && value !== undefined && value !== null && !(value instanceof Date)
      ? String(value).toLocaleLowerCase()
      : value;
  return unleash.checkConstraint(
    unleashConstraint(asked, single),
    contexts(constraint.attribute, contextValue).unleash,
  );
}

describe('constraint operators agree with unleash-client', () => {
  for (const [operator, kind] of Object.entries(OPERATORS) as [ConstraintOperator, keyof typeof VALUE_LISTS][]) {
    it(`${operator}: every values list × inverted × caseInsensitive × odd context value`, () => {
      const attributes = kind === 'date' ? ['currentTime'] : ['plan', 'userId'];
      let compared = 0;
      let held = 0;
      for (const attribute of attributes) {
        for (const values of VALUE_LISTS[kind]) {
          for (const inverted of [false, true]) {
            for (const caseInsensitive of [false, true]) {
              const constraint: Constraint = { attribute, operator, values, inverted, caseInsensitive };
              const matcher = compileConstraint(constraint);
              for (const value of contextValues(operator)) {
                const expected = expectedFromUnleash(constraint, value);
                const actual = matcher(contexts(attribute, value).flagline);
                expect({ constraint, value, actual }).toEqual({ constraint, value, actual: expected });
                compared++;
                if (actual) held++;
              }
            }
          }
        }
      }
      expect(compared).toBeGreaterThan(100);
      // The table exercises both outcomes, so a matcher stuck on one answer cannot pass.
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThan(compared);
    });
  }
});

describe('Flagline extensions and documented differences', () => {
  it('caseInsensitive applies to IN and NOT_IN', () => {
    const inList = compileConstraint({ attribute: 'plan', operator: 'IN', values: ['Pro'], caseInsensitive: true });
    expect(inList({ plan: 'PRO' })).toBe(true);
    const notIn = compileConstraint({ attribute: 'plan', operator: 'NOT_IN', values: ['Pro'], caseInsensitive: true });
    expect(notIn({ plan: 'pro' })).toBe(false);
    expect(notIn({})).toBe(true);
  });

  it('reads dotted paths into nested objects, and a flat key of the same name first', () => {
    const country = compileConstraint({ attribute: 'account.country', operator: 'IN', values: ['DE'] });
    expect(country({ account: { country: 'DE' } })).toBe(true);
    expect(country({ 'account.country': 'DE', account: { country: 'FR' } })).toBe(true);
    expect(country({ account: { country: 'FR' } })).toBe(false);
    expect(country({ account: 'DE' })).toBe(false);
  });

  it('maps Unleash names: userId and targetingKey are the targeting key, properties.X is attribute X', () => {
    for (const attribute of ['userId', 'targetingKey']) {
      const matcher = compileConstraint({ attribute, operator: 'IN', values: ['u1'] });
      expect(matcher({ targetingKey: 'u1' })).toBe(true);
      expect(matcher({ userId: 'u1' })).toBe(false);
    }
    const plan = compileConstraint({ attribute: 'properties.plan', operator: 'IN', values: ['pro'] });
    expect(plan({ plan: 'pro' })).toBe(true);
    expect(plan({ properties: { plan: 'pro' } })).toBe(true);
  });

  it('treats objects and arrays as absent (Unleash compares their String())', () => {
    const matcher = compileConstraint({ attribute: 'plan', operator: 'IN', values: ['a,b'] });
    expect(matcher({ plan: ['a', 'b'] })).toBe(false);
    const inherited = compileConstraint({ attribute: 'constructor', operator: 'STR_CONTAINS', values: ['Object'] });
    expect(inherited({})).toBe(false);
  });

  it('DATE_* on an attribute other than currentTime reads that attribute; absent never matches', () => {
    const matcher = compileConstraint({ attribute: 'signupDate', operator: 'DATE_AFTER', values: ['2024-01-01'] });
    expect(matcher({ signupDate: '2024-06-01' })).toBe(true);
    expect(matcher({ signupDate: '2023-06-01' })).toBe(false);
    expect(matcher({})).toBe(false);
  });
});
