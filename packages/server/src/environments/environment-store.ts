import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { environments } from '../db/schema';
import { AppError } from '../shared/errors';

export type EnvironmentRow = typeof environments.$inferSelect;

export async function requireEnvironment(executor: Executor, key: string): Promise<void> {
  const [row] = await executor.select({ key: environments.key }).from(environments).where(eq(environments.key, key));
  if (!row) throw new AppError('NOT_FOUND', `Environment "${key}" does not exist.`);
}

/**
 * Whether the environment is protected (four-eyes), read under a share lock: a change deciding by it cannot commit
 * across a concurrent change of protection, which waits for it (and is seen by it, when it committed first).
 */
export async function isProtectedEnvironment(executor: Executor, key: string): Promise<boolean> {
  const [row] = await executor
    .select({ protected: environments.protected })
    .from(environments)
    .where(eq(environments.key, key))
    .for('share');
  if (!row) throw new AppError('NOT_FOUND', `Environment "${key}" does not exist.`);
  return row.protected;
}

/**
 * The first protected environment by key (undefined when none is), for a change to a flag itself (its variants, its
 * deletion), which reaches every environment. Every environment row is share-locked, as isProtectedEnvironment locks
 * one.
 */
export async function firstProtectedEnvironment(executor: Executor): Promise<string | undefined> {
  const rows = await executor
    .select({ key: environments.key, protected: environments.protected })
    .from(environments)
    .orderBy(environments.key)
    .for('share');
  return rows.find((row) => row.protected)?.key;
}

export async function requireEnvironmentRow(executor: Executor, key: string): Promise<EnvironmentRow> {
  const [row] = await executor.select().from(environments).where(eq(environments.key, key)).for('update');
  if (!row) throw new AppError('NOT_FOUND', `Environment "${key}" does not exist.`);
  return row;
}

export async function updateEnvironmentRow(
  executor: Executor,
  key: string,
  values: { name?: string; protected?: boolean },
): Promise<EnvironmentRow> {
  const [row] = await executor.update(environments).set(values).where(eq(environments.key, key)).returning();
  if (!row) throw new Error(`environment ${key} vanished inside its own transaction`);
  return row;
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
