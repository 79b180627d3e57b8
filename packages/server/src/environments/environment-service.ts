import type { CreateEnvironmentBody, Environment } from '@flagline/core';
import { asc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { environments, flagStates, flags } from '../db/schema';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { AppError, sqlState, UNIQUE_VIOLATION } from '../shared/errors';

const toEnvironment = (row: typeof environments.$inferSelect): Environment => ({
  key: row.key,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

export async function listEnvironments(db: Db): Promise<Environment[]> {
  const rows = await db.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key));
  return rows.map(toEnvironment);
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
      const [row] = await tx.insert(environments).values({ key: body.key, name }).onConflictDoNothing().returning();
      if (!row) throw exists();
      const flagIds = await tx.select({ id: flags.id }).from(flags);
      if (flagIds.length > 0) {
        await tx.insert(flagStates).values(flagIds.map((flag) => ({ flagId: flag.id, environment: row.key })));
      }
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
