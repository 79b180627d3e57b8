import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { environments } from '../db/schema';
import { AppError } from '../shared/errors';

export type EnvironmentRow = typeof environments.$inferSelect;

export async function requireEnvironment(executor: Executor, key: string): Promise<void> {
  const [row] = await executor.select({ key: environments.key }).from(environments).where(eq(environments.key, key));
  if (!row) throw new AppError('NOT_FOUND', `Environment "${key}" does not exist.`);
}

export async function listEnvironmentRows(executor: Executor): Promise<EnvironmentRow[]> {
  return executor.select().from(environments).orderBy(asc(environments.createdAt), asc(environments.key));
}

/** Inserts the environment; undefined when the key is taken. */
export async function insertEnvironment(
  executor: Executor,
  values: { key: string; name: string },
): Promise<EnvironmentRow | undefined> {
  const [row] = await executor.insert(environments).values(values).onConflictDoNothing().returning();
  return row;
}
