/** A schedule's changes in words: "turn on, rollout 50%". */
export function describeUpdates(updates: { enabled?: boolean | undefined; rolloutPercentage?: number | undefined }) {
  const parts: string[] = [];
  if (updates.enabled !== undefined) parts.push(updates.enabled ? 'turn on' : 'turn off');
  if (updates.rolloutPercentage !== undefined) parts.push(`rollout ${updates.rolloutPercentage}%`);
  return parts.join(', ') || 'no change';
}
