import type { EnvironmentTargeting, Rule, TargetingDiff } from '@flagline/core';
import canonicalize from 'canonicalize';

const same = (a: unknown, b: unknown) => canonicalize(a ?? null) === canonicalize(b ?? null);

const RULE_FIELDS = ['description', 'constraints', 'segments', 'rollout', 'serve'] as const;
const SCALAR_FIELDS = ['enabled', 'rolloutPercentage', 'offVariant', 'fallthrough'] as const;

/**
 * The ids kept in place: the longest common subsequence of the ids both lists share. A rule outside it moved
 * relative to the others; one moved to the top counts once, not every rule it pushed down.
 */
function stayedInOrder(before: string[], after: string[]): Set<string> {
  const lengths = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      const row = lengths[i] as number[];
      row[j] =
        before[i] === after[j]
          ? (lengths[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(lengths[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const kept = new Set<string>();
  for (let i = 0, j = 0; i < before.length && j < after.length; ) {
    if (before[i] === after[j]) {
      kept.add(before[i] as string);
      i++;
      j++;
    } else if ((lengths[i + 1]?.[j] ?? 0) >= (lengths[i]?.[j + 1] ?? 0)) i++;
    else j++;
  }
  return kept;
}

/** A field-level diff of rules (by id) and of the scalar parts of one environment's targeting. */
export function diffTargeting(before: EnvironmentTargeting, after: EnvironmentTargeting): TargetingDiff {
  const diff: TargetingDiff = { rules: { added: [], removed: [], moved: [], changed: [] } };
  for (const field of SCALAR_FIELDS) {
    if (!same(before[field], after[field])) diff[field] = { before: before[field], after: after[field] };
  }
  const beforeById = new Map(before.rules.map((rule, index) => [rule.id, { rule, index }]));
  const afterById = new Map(after.rules.map((rule, index) => [rule.id, { rule, index }]));
  diff.rules.added = after.rules.filter((rule) => !beforeById.has(rule.id)).map((rule) => rule.id);
  diff.rules.removed = before.rules.filter((rule) => !afterById.has(rule.id)).map((rule) => rule.id);
  const commonBefore = before.rules.filter((rule) => afterById.has(rule.id)).map((rule) => rule.id);
  const commonAfter = after.rules.filter((rule) => beforeById.has(rule.id)).map((rule) => rule.id);
  const kept = stayedInOrder(commonBefore, commonAfter);
  for (const id of commonAfter) {
    const old = beforeById.get(id) as { rule: Rule; index: number };
    const now = afterById.get(id) as { rule: Rule; index: number };
    if (!kept.has(id)) diff.rules.moved.push({ id, from: old.index, to: now.index });
    const fields = RULE_FIELDS.filter((field) => !same(old.rule[field], now.rule[field])).map((field) => ({
      field,
      before: old.rule[field] ?? null,
      after: now.rule[field] ?? null,
    }));
    if (fields.length > 0) diff.rules.changed.push({ id, fields });
  }
  return diff;
}

/** The top-level fields that differ (`rules` when any rule was added, removed, moved or changed). */
export function changedTargetingFields(diff: TargetingDiff): string[] {
  const fields: string[] = SCALAR_FIELDS.filter((field) => diff[field] !== undefined);
  const { added, removed, moved, changed } = diff.rules;
  if (added.length + removed.length + moved.length + changed.length > 0) fields.push('rules');
  return fields;
}
