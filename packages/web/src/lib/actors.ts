import { isSystemActorId } from '@flagline/core';
import { useQuery } from '@tanstack/react-query';
import { tokenQueries } from '../api/tokens';
import { useSession } from '../features/session/session';

/** Token ids → names, so audit actors read as "release-bot" rather than a UUID. */
export function useTokenNames() {
  const { client } = useSession();
  const tokens = useQuery(tokenQueries.list(client));
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
  if (isSystemActorId(id)) return `system (${id})`;
  return id;
}
