import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { ChangeContext, UnitOfWorkDeps } from '../db/unit-of-work';
import type { SnapshotStore } from '../delivery/snapshot';
import type { AppEnv } from './context';
import { AppError } from './errors';

/** What the HTTP app is built from; tests build it on a fresh database. */
export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  snapshot: SnapshotStore;
  authenticator: Authenticator;
}

export function unitOfWork(deps: AppDeps): UnitOfWorkDeps {
  return {
    db: deps.database.db,
    logger: deps.logger,
    // Read-your-writes: the instance that made a change answers only once its own snapshot has it.
    afterCommit: (version) => deps.snapshot.ensureAtLeast(version),
  };
}

export function changeContext(c: Context<AppEnv>): ChangeContext {
  return { actor: c.get('principal').actor, requestId: c.get('requestId') };
}

/**
 * A client token reads its own environment; asking for another is refused rather than quietly answered from its own
 * (a caller that named "development" must not act on production's flags believing them development's). Other
 * principals get the one asked for, production by default.
 */
export function resolveEnvironment(c: Context<AppEnv>, requested: string | undefined): string {
  const bound = c.get('principal').environment;
  if (bound !== null && requested !== undefined && requested !== bound) {
    throw new AppError(
      'FORBIDDEN',
      `This token is bound to environment "${bound}" and cannot read environment "${requested}"; leave out ?environment= or ask for "${bound}".`,
      { tokenEnvironment: bound, requestedEnvironment: requested },
    );
  }
  return bound ?? requested ?? 'production';
}
