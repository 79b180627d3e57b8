import type { Role } from '@flagline/core';
import { and, asc, desc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { apiTokens } from '../db/schema';
import { isUuid } from '../shared/ids';

export type TokenRow = typeof apiTokens.$inferSelect;

export async function listTokenRows(executor: Executor): Promise<TokenRow[]> {
  return executor.select().from(apiTokens).orderBy(desc(apiTokens.createdAt));
}

export async function insertToken(
  executor: Executor,
  values: {
    name: string;
    role: Role;
    environment: string | null;
    allowedOrigins: string[] | null;
    tokenHash: string;
    createdBy: string;
  },
): Promise<TokenRow> {
  const [row] = await executor.insert(apiTokens).values(values).returning();
  if (!row) throw new Error('token insert returned no row');
  return row;
}

/** The token with this id, locked for the rest of the transaction; undefined for an id that names none. */
export async function lockToken(executor: Executor, id: string): Promise<TokenRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await executor.select().from(apiTokens).where(eq(apiTokens.id, id)).for('update');
  return row;
}

/**
 * Every live admin token, locked in one order: two admins revoking each other's token at once on PostgreSQL would
 * otherwise each see the other's still live and leave none.
 */
export async function lockLiveAdminTokens(executor: Executor): Promise<{ id: string }[]> {
  return executor
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.role, 'admin'), isNull(apiTokens.revokedAt)))
    .orderBy(asc(apiTokens.id))
    .for('update');
}

export async function markRevoked(executor: Executor, id: string, at: Date): Promise<void> {
  await executor
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
}

export async function hasActiveAdminToken(executor: Executor): Promise<boolean> {
  const [row] = await executor
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.role, 'admin'), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row !== undefined;
}
