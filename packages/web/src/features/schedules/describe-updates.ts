import type { ScheduleUpdates } from '@flagline/core';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A schedule's changes in words: "turn on, rollout 50%, rules, set 2 users". */
export function describeUpdates(updates: Partial<ScheduleUpdates>) {
  const parts: string[] = [];
  if (updates.enabled !== undefined) parts.push(updates.enabled ? 'turn on' : 'turn off');
  if (updates.rolloutPercentage !== undefined) parts.push(`rollout ${updates.rolloutPercentage}%`);
  if (updates.rules !== undefined) parts.push(count(updates.rules.length, 'rule'));
  if (updates.fallthrough !== undefined) parts.push('fallthrough');
  if (updates.offVariant !== undefined) parts.push('off variant');
  if (updates.overrides?.set?.length) parts.push(`set ${count(updates.overrides.set.length, 'user')}`);
  if (updates.overrides?.remove?.length) parts.push(`remove ${count(updates.overrides.remove.length, 'user')}`);
  return parts.join(', ') || 'no change';
}
