import type { CreatedToken, CreateTokenBody, Token } from '@flagline/core';
import { and, asc, desc, eq, isNull } from 'drizzle-orm';
import { generateTokenSecret, hashTokenSecret } from '../auth/secrets';
import type { Db } from '../db/client';
import { apiTokens } from '../db/schema';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { AppError, notFound } from '../shared/errors';
import { isUuid } from '../shared/ids';

const toToken = (row: typeof apiTokens.$inferSelect): Token => ({
  id: row.id,
  name: row.name,
  role: row.role,
  environment: row.environment,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

export async function listTokens(db: Db): Promise<Token[]> {
  const rows = await db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt));
  return rows.map(toToken);
}

/** Creates a token; the secret is returned this once and only its hash is kept. */
export async function createToken(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateTokenBody,
): Promise<CreatedToken> {
  return runChange(deps, context, async ({ tx, audit, actor }) => {
    const environment = body.role === 'client' ? (body.environment ?? null) : null;
    if (environment) await requireEnvironment(tx, environment);
    const secret = generateTokenSecret();
    const [row] = await tx
      .insert(apiTokens)
      .values({
        name: body.name,
        role: body.role,
        environment,
        tokenHash: hashTokenSecret(secret),
        createdBy: actor.id,
      })
      .returning();
    if (!row) throw new Error('token insert returned no row');
    const token = toToken(row);
    await audit.record({
      type: 'token.created',
      environment,
      data: { tokenId: row.id, name: row.name, role: row.role, environment },
      before: null,
      after: { id: row.id, name: row.name, role: row.role, environment },
    });
    return { ...token, secret };
  });
}

export interface RevokeOptions {
  /**
   * Whether someone can still act as admin without any admin API token: FLAGLINE_ADMIN_TOKEN or OIDC is configured,
   * or the caller is the CLI (which can always make a new admin token). Otherwise the last admin token stays.
   */
  adminAccessWithoutTokens: boolean;
}

/** Revokes a token. Revoking an already revoked token changes nothing and records nothing. */
export async function revokeToken(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  id: string,
  options: RevokeOptions,
): Promise<void> {
  if (!isUuid(id)) throw notFound(`Token "${id}"`);
  await runChange(deps, context, async ({ tx, audit }) => {
    // Every live admin token is locked, in one order, before the count: two admins revoking each other's token at
    // once on PostgreSQL would otherwise each see the other's still live and leave none.
    const liveAdmins = options.adminAccessWithoutTokens
      ? []
      : await tx
          .select({ id: apiTokens.id })
          .from(apiTokens)
          .where(and(eq(apiTokens.role, 'admin'), isNull(apiTokens.revokedAt)))
          .orderBy(asc(apiTokens.id))
          .for('update');
    const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).for('update');
    if (!row) throw notFound(`Token "${id}"`);
    if (row.revokedAt) return;
    if (row.role === 'admin' && !options.adminAccessWithoutTokens && !liveAdmins.some((admin) => admin.id !== row.id)) {
      throw new AppError(
        'INVALID_STATE',
        `Token "${id}" is the last admin credential: create another admin token (or configure FLAGLINE_ADMIN_TOKEN or OIDC sign-in) before revoking it.`,
        { reason: 'last_admin_credential' },
      );
    }
    const revokedAt = new Date();
    await tx
      .update(apiTokens)
      .set({ revokedAt })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
    await audit.record({
      type: 'token.revoked',
      environment: row.environment,
      data: { tokenId: row.id, name: row.name, role: row.role },
      before: { id: row.id, revokedAt: null },
      after: { id: row.id, revokedAt: revokedAt.toISOString() },
    });
  });
}

export async function hasActiveAdminToken(db: Db): Promise<boolean> {
  const [row] = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.role, 'admin'), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row !== undefined;
}
