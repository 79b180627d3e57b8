import type { Actor } from './audit';

/**
 * The actors that are not a person or an API token: who the audit trail names when Flagline acts by itself. The
 * server records them and the admin UI recognises them, both from here.
 */
export const schedulerActor: Actor = { type: 'system', id: 'scheduler', email: null };

/** Mints the first admin token on a first start with no admin credential. */
export const bootstrapActor: Actor = { type: 'system', id: 'flagline', email: null };

const CLI_ACTOR_PREFIX = 'cli:';

/** The `flagline` command line, run by the operating-system user `username`. */
export function cliActor(username: string): Actor {
  return { type: 'system', id: `${CLI_ACTOR_PREFIX}${username}`, email: null };
}

/** The actor id of requests authenticated with FLAGLINE_ADMIN_TOKEN (an actor of type `token` with no row). */
export const ADMIN_TOKEN_ACTOR_ID = 'FLAGLINE_ADMIN_TOKEN';

/** Whether a stored actor id (schedules and overrides keep only the id) is one of the system actors above. */
export function isSystemActorId(id: string): boolean {
  return id === schedulerActor.id || id === bootstrapActor.id || id.startsWith(CLI_ACTOR_PREFIX);
}
