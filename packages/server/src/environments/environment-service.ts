import type { CreateEnvironmentBody, Environment, UpdateEnvironmentBody } from '@flagline/core';
import type { Db } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { addStatesInEnvironment } from '../flags/flag-store';
import { AppError, sqlState, UNIQUE_VIOLATION } from '../shared/errors';
import {
  type EnvironmentRow,
  insertEnvironment,
  listEnvironmentRows,
  requireEnvironmentRow,
  updateEnvironmentRow,
} from './environment-store';

export const toEnvironment = (row: EnvironmentRow): Environment => ({
  key: row.key,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  protected: row.protected,
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

/**
 * Renames an environment or changes its protection, in a change already under way: the change-request service decides
 * first whether this needs a second admin (turning protection off does).
 */
export async function updateEnvironmentIn(
  { tx, audit }: ChangeScope,
  key: string,
  body: UpdateEnvironmentBody,
): Promise<Environment> {
  const current = await requireEnvironmentRow(tx, key);
  const values: { name?: string; protected?: boolean } = {};
  if (body.name !== undefined && body.name !== current.name) values.name = body.name;
  if (body.protected !== undefined && body.protected !== current.protected) values.protected = body.protected;
  const changedFields = Object.keys(values);
  if (changedFields.length === 0) return toEnvironment(current);
  const row = await updateEnvironmentRow(tx, key, values);
  await audit.record({
    type: 'environment.updated',
    environment: key,
    data: { key, changedFields },
    before: { name: current.name, protected: current.protected },
    after: { name: row.name, protected: row.protected },
  });
  return toEnvironment(row);
}
