import type { Schedule } from '@flagline/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

/** How often lists that the change stream does not cover (schedules, audit) are re-read: inside the 2 s promise. */
export const POLL_MS = 1500;

/** Pending schedules across flags in the current environment, soonest first (the API's order). */
export function usePendingSchedules() {
  const { client, environment } = useSession();
  return useQuery({
    queryKey: ['schedules', environment, 'pending'],
    queryFn: async () => {
      const items: Schedule[] = [];
      let cursor: string | undefined;
      // Follow the cursor a few pages; beyond 2,000 pending changes a dashboard would need filters anyway.
      for (let page = 0; page < 4; page += 1) {
        const result = await client.listSchedules({
          status: 'pending',
          environment,
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        items.push(...result.items);
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      return items;
    },
    refetchInterval: POLL_MS,
  });
}

/** Token ids → names, so audit actors read as "release-bot" rather than a UUID. */
export function useTokenNames() {
  const { client } = useSession();
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: async () => (await client.listTokens()).items,
    staleTime: 10_000,
  });
  const names = new Map<string, string>();
  for (const token of tokens.data ?? []) names.set(token.id, token.name);
  return names;
}

export function actorLabel(actor: { type: string; id: string; email: string | null }, names: Map<string, string>) {
  if (actor.type === 'system') return `system (${actor.id})`;
  if (actor.email) return actor.email;
  return idLabel(actor.id, names);
}

/** A stored actor id (schedules and overrides keep only the id): a token's name where it is one of ours. */
export function idLabel(id: string | null, names: Map<string, string>): string {
  if (!id) return '—';
  const name = names.get(id);
  if (name) return `${name} (token)`;
  if (id === 'scheduler' || id === 'flagline') return `system (${id})`;
  return id;
}

export function describeUpdates(updates: { enabled?: boolean | undefined; rolloutPercentage?: number | undefined }) {
  const parts: string[] = [];
  if (updates.enabled !== undefined) parts.push(updates.enabled ? 'turn on' : 'turn off');
  if (updates.rolloutPercentage !== undefined) parts.push(`rollout ${updates.rolloutPercentage}%`);
  return parts.join(', ') || 'no change';
}
