import type { RulesetFlag } from '@flagline/core';
import { describe, expect, it } from 'vitest';
import { applyChange, fromRuleset, toConfigSnapshot } from './ruleset-snapshot';

const flag = (key: string, enabled = false): RulesetFlag => ({
  key,
  description: '',
  enabled,
  rolloutPercentage: 0,
  overrides: { include: [], exclude: [] },
});

describe('a relay applies the upstream’s change events to its ruleset', () => {
  const base = fromRuleset({ environment: 'production', version: 3, flags: [flag('a'), flag('b-x'), flag('c')] });

  it('replaces changed flags in place, drops deleted ones, and moves to the change’s version', () => {
    const next = applyChange(base, { version: 5, changed: [flag('b-x', true)], deleted: ['c'] });
    expect(next.version).toBe(5);
    expect(next.flags.map((f) => [f.key, f.enabled])).toEqual([
      ['a', false],
      ['b-x', true],
    ]);
    expect(toConfigSnapshot(next).environments.get('production')?.rulesetBody().json).toBe(
      JSON.stringify({ environment: 'production', version: 5, flags: next.flags }),
    );
  });

  it('places new flags where the upstream’s order says, and last when it does not know them', () => {
    const ordered = applyChange(base, { version: 4, changed: [flag('b_y')], deleted: [] }, ['a', 'b_y', 'b-x', 'c']);
    expect(ordered.flags.map((f) => f.key)).toEqual(['a', 'b_y', 'b-x', 'c']);
    const unordered = applyChange(base, { version: 4, changed: [flag('aa')], deleted: [] });
    expect(unordered.flags.map((f) => f.key)).toEqual(['a', 'b-x', 'c', 'aa']);
  });

  it('keeps the segments the flags use up to date', () => {
    const segment = { key: 'beta', name: 'Beta', description: '', constraints: [] };
    const withSegment = applyChange(base, { version: 4, changed: [], deleted: [], segments: [segment] });
    expect([...withSegment.segments.keys()]).toEqual(['beta']);
    const without = applyChange(withSegment, { version: 5, changed: [], deleted: [], deletedSegments: ['beta'] });
    expect(without.segments.size).toBe(0);
  });

  it('recompiles only the flags a change touched, and those whose segments changed', () => {
    const segment = { key: 'beta', name: 'Beta', description: '', constraints: [] };
    const rule = { id: 'r', constraints: [], segments: ['beta'], serve: { variant: 'on' } };
    const segmented: RulesetFlag = {
      ...flag('s', true),
      type: 'boolean',
      variants: [],
      offVariant: null,
      rules: [rule],
      fallthrough: null,
    };
    const first = applyChange(base, { version: 4, changed: [segmented], deleted: [], segments: [segment] });
    const compiled = (ruleset: typeof first, key: string) =>
      toConfigSnapshot(ruleset).environments.get('production')?.flags.get(key);
    const touched = applyChange(first, { version: 5, changed: [flag('a', true)], deleted: [] });
    expect(compiled(touched, 'b-x')).toBe(compiled(first, 'b-x'));
    expect(compiled(touched, 's')).toBe(compiled(first, 's'));
    expect(compiled(touched, 'a')).not.toBe(compiled(first, 'a'));
    expect(compiled(touched, 'a')?.enabled).toBe(true);
    const widened = { ...segment, constraints: [{ attribute: 'plan', operator: 'IN' as const, values: ['pro'] }] };
    const segmentChanged = applyChange(touched, { version: 6, changed: [], deleted: [], segments: [widened] });
    expect(compiled(segmentChanged, 's')).not.toBe(compiled(touched, 's'));
    const answers = (ruleset: typeof first) =>
      ['pro', 'free'].map((plan) =>
        toConfigSnapshot(ruleset).environments.get('production')?.ofrepBulkJson({ targetingKey: 'u', plan }),
      );
    expect(answers(segmentChanged)).toEqual(answers(toFresh(segmentChanged)));
    expect(answers(segmentChanged)).not.toEqual(answers(touched));
    expect(compiled(segmentChanged, 'b-x')).toBe(compiled(touched, 'b-x'));
  });
});

/** The same ruleset with fresh flag objects: compiled from scratch. */
const toFresh = (ruleset: ReturnType<typeof fromRuleset>) => ({
  ...ruleset,
  flags: ruleset.flags.map((item) => structuredClone(item)),
});
