import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { environments } from '../db/schema';
import { AppError } from '../shared/errors';

export async function requireEnvironment(executor: Executor, key: string): Promise<void> {
  const [row] = await executor.select({ key: environments.key }).from(environments).where(eq(environments.key, key));
  if (!row) throw new AppError('NOT_FOUND', `Environment "${key}" does not exist.`);
}
