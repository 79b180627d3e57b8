import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator';
import { applySettingsOf } from '../change-requests/appliers';
import type { ApprovalDeps } from '../change-requests/change-request-service';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { ChangeContext, UnitOfWorkDeps } from '../db/unit-of-work';
import type { SnapshotStore } from '../delivery/snapshot';
import { AppError } from '../shared/errors';
import type { AppEnv } from './context';

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
    afterCommit: (notice) => deps.snapshot.receive(notice),
  };
}

/** What guarded writes need: they apply at once, or become change requests in a protected environment. */
export function approvalDeps(deps: AppDeps): ApprovalDeps {
  return {
    ...unitOfWork(deps),
    settings: applySettingsOf(deps.config),
  };
}

export function changeContext(c: Context<AppEnv>): ChangeContext {
  return { actor: c.get('principal').actor, requestId: c.get('requestId') };
}

/** The response header naming the environment a write changed (a 204 has no body to say it). */
export const CHANGED_ENVIRONMENT_HEADER = 'Flagline-Environment';

/** An admin read: the query's environment, else FLAGLINE_DEFAULT_ENVIRONMENT (production when that is `none`). */
export function resolveAdminEnvironment(c: Context<AppEnv>, config: Config, requested: string | undefined): string {
  return c.get('principal').environment ?? requested ?? config.defaultEnvironment ?? 'production';
}

/**
 * The environment a write changes: the query's, else FLAGLINE_DEFAULT_ENVIRONMENT; with that set to `none` the caller
 * must name it, so no write lands in production by omission. The response names it in a header either way.
 */
export function resolveWriteEnvironment(c: Context<AppEnv>, config: Config, requested: string | undefined): string {
  const environment = c.get('principal').environment ?? requested ?? config.defaultEnvironment;
  if (environment === null) {
    throw new AppError(
      'VALIDATION_FAILED',
      'Invalid query: environment: required, because FLAGLINE_DEFAULT_ENVIRONMENT is none (writes must name their environment).',
      { location: 'query', fields: { environment: 'required when FLAGLINE_DEFAULT_ENVIRONMENT is none' } },
    );
  }
  c.header(CHANGED_ENVIRONMENT_HEADER, environment);
  return environment;
}
