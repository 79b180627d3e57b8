import type { CreateEnvironmentBody, Environment } from '@flagline/core';
import type { Db } from '../db/client';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { addStatesInEnvironment } from '../flags/flag-store';
import { AppError, sqlState, UNIQUE_VIOLATION } from '../shared/errors';
import { type EnvironmentRow, insertEnvironment, listEnvironmentRows } from './environment-store';

const toEnvironment = (row: EnvironmentRow): Environment => ({
  key: row.key,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

export async function listEnvironments(db: Db): Promise<Environment[]> {
  return (await listEnvironmentRows(db)).map(toEnvironment);
}

/** Creates an environment; every existing flag gets a state in it (disabled, 0%). */
export async function createEnvironment(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateEnvironmentBody,
): Promise<Environment> {
  const exists = () => new AppError('ALREADY_EXISTS', `Environment "${body.key}" already exists.`);
  try {
    return await runChange(deps, context, async ({ tx, audit }) => {
      const name = body.name ?? body.key;
      const row = await insertEnvironment(tx, { key: body.key, name });
      if (!row) throw exists();
      await addStatesInEnvironment(tx, row.key);
      await audit.record({
        type: 'environment.created',
        environment: row.key,
        data: { key: row.key, name },
        before: null,
        after: { key: row.key, name },
      });
      return toEnvironment(row);
    });
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw exists();
    throw error;
  }
}
