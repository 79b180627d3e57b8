import { type CreatedToken, type CreateTokenBody, isEnvironmentRole, type Token } from '@flagline/core';
import { generateTokenSecret, hashTokenSecret } from '../auth/secrets';
import type { Db } from '../db/client';
import { type ChangeContext, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { requireEnvironment } from '../environments/environment-store';
import { AppError, notFound } from '../shared/errors';
import { insertToken, listTokenRows, lockLiveAdminTokens, lockToken, markRevoked, type TokenRow } from './token-store';

const toToken = (row: TokenRow): Token => ({
  id: row.id,
  name: row.name,
  role: row.role,
  environment: row.environment,
  allowedOrigins: row.allowedOrigins ?? null,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

export async function listTokens(db: Db): Promise<Token[]> {
  return (await listTokenRows(db)).map(toToken);
}

/** Creates a token; the secret is returned this once and only its hash is kept. */
export async function createToken(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateTokenBody,
): Promise<CreatedToken> {
  return runChange(deps, context, async ({ tx, audit, actor }) => {
    const environment = isEnvironmentRole(body.role) ? (body.environment ?? null) : null;
    // Kept as given: a token made as `client` stays `client` (the older name of `server`), so answers about existing
    // tokens never change under their owners.
    const allowedOrigins = body.role === 'frontend' ? [...new Set(body.allowedOrigins ?? [])] : null;
    if (environment) await requireEnvironment(tx, environment);
    const secret = generateTokenSecret();
    const row = await insertToken(tx, {
      name: body.name,
      role: body.role,
      environment,
      allowedOrigins,
      tokenHash: hashTokenSecret(secret),
      createdBy: actor.id,
    });
    const token = toToken(row);
    await audit.record({
      type: 'token.created',
      environment,
      data: { tokenId: row.id, name: row.name, role: row.role, environment },
      before: null,
      after: { id: row.id, name: row.name, role: row.role, environment, ...(allowedOrigins ? { allowedOrigins } : {}) },
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
  await runChange(deps, context, async ({ tx, audit }) => {
    // Every live admin token is locked before the count (see lockLiveAdminTokens).
    const liveAdmins = options.adminAccessWithoutTokens ? [] : await lockLiveAdminTokens(tx);
    const row = await lockToken(tx, id);
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
    await markRevoked(tx, id, revokedAt);
    await audit.record({
      type: 'token.revoked',
      environment: row.environment,
      data: { tokenId: row.id, name: row.name, role: row.role },
      before: { id: row.id, revokedAt: null },
      after: { id: row.id, revokedAt: revokedAt.toISOString() },
    });
  });
}
