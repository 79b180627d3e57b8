import { ADMIN_TOKEN_ACTOR_ID, type Role } from '@flagline/core';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { apiTokens } from '../db/schema';
import type { Principal } from '../http/context';
import { AppError, isDatabaseUnavailable } from '../shared/errors';
import { FailedAuthenticationLimiter } from './failed-authentication-limiter';
import { constantTimeEquals, hashTokenSecret, looksLikeApiToken } from './secrets';

interface CachedToken {
  principal: Principal;
  tokenId: string;
  expiresAt: number;
}

const CACHE_TTL_MS = 30_000;
const CACHE_MAX_ENTRIES = 10_000;
/** Unknown tokens are remembered apart, so made-up ones can only push out other made-up ones. */
const UNKNOWN_CACHE_MAX_ENTRIES = 10_000;
const LAST_USED_FLUSH_MS = 60_000;

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message);

/**
 * Cognito access tokens carry the app client in `client_id` and have no `aud` (only ID tokens do), so a token
 * matches the configured audience through either claim.
 */
function hasAudience(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) {
    return Array.isArray(payload.aud) ? payload.aud.includes(audience) : payload.aud === audience;
  }
  return payload.client_id === audience;
}

function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  return typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
}

/** Cognito signs ID tokens and access tokens with the same keys; only access tokens are meant for APIs. */
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[^/]+$/;

/**
 * An outage of the identity provider's key set is not a bad token: answering 401 would send clients to sign in again.
 * jose throws a bare JOSEError only for a JWKS response it cannot use, and lets network errors through unwrapped.
 */
function isKeySetUnavailable(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true;
  return (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    error.code === joseErrors.JOSEError.code
  );
}

/**
 * Turns an Authorization header into a principal. API tokens are looked up once and cached in memory (the cache is
 * marked stale whenever any instance announces a change, so a revoked token stops working everywhere at once); last-use
 * times are written in batches, off the request path.
 */
export class Authenticator {
  /** Verified tokens, by secret (the evaluation fast path looks them up without hashing). */
  private readonly cache = new LRUCache<string, CachedToken>({ max: CACHE_MAX_ENTRIES });
  /** Secret hashes no live token has, with when to look again; hashes keep each entry small whatever was sent. */
  private readonly unknown = new LRUCache<string, number>({ max: UNKNOWN_CACHE_MAX_ENTRIES });
  private readonly lastUsed = new Map<string, Date>();
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly limiter: FailedAuthenticationLimiter;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly logger: Logger,
    /** Milliseconds since the epoch; tests move it instead of waiting. */
    private readonly now: () => number = Date.now,
  ) {
    this.jwks = config.auth.jwksUrl ? createRemoteJWKSet(new URL(config.auth.jwksUrl)) : undefined;
    this.limiter = new FailedAuthenticationLimiter(config.auth.failuresPerMinute);
    if (this.jwks && !config.auth.issuer) {
      logger.warn('AUTH_ALLOW_ANY_ISSUER=true: access tokens from any issuer the key set signs for are accepted');
    }
    if (this.jwks && !config.auth.audience) {
      logger.warn('AUTH_ALLOW_ANY_AUDIENCE=true: access tokens issued for any application are accepted');
    }
  }

  start(): void {
    this.flushTimer = setInterval(() => {
      this.flushLastUsed().catch((error: unknown) => this.logger.warn({ err: error }, 'token last-use flush failed'));
    }, LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushLastUsed().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'token last-use flush failed'),
    );
  }

  /**
   * Every cached token must be looked up again before its next use. The entries stay, marked stale, as the fallback
   * while the database is unreachable (see authenticateApiToken).
   */
  invalidate(): void {
    for (const entry of this.cache.values()) entry.expiresAt = 0;
    this.unknown.clear();
  }

  /**
   * `clientAddress` is where failed attempts are counted: once an address is over AUTH_FAILURES_PER_MINUTE, only
   * API tokens this instance has already verified are still looked at (a guesser never holds one, and the
   * applications sharing that address through a proxy or NAT keep working); anything else gets 429.
   */
  async authenticate(authorization: string | undefined, clientAddress = 'unknown'): Promise<Principal> {
    if (!authorization) throw unauthorized('Send an API token or access token as "Authorization: Bearer <token>".');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = match?.[1];
    if (!token || !this.cache.has(token)) await this.limiter.assertAllowed(clientAddress);
    try {
      if (!token) throw unauthorized('The Authorization header must be "Bearer <token>".');
      return await this.verify(token);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHORIZED') await this.limiter.recordFailure(clientAddress);
      throw error;
    }
  }

  private verify(token: string): Promise<Principal> {
    if (this.config.adminToken && constantTimeEquals(token, this.config.adminToken)) {
      return Promise.resolve({
        role: 'admin',
        environment: null,
        actor: { type: 'token', id: ADMIN_TOKEN_ACTOR_ID, email: null },
      });
    }
    if (looksLikeApiToken(token)) return this.authenticateApiToken(token);
    if (this.jwks && token.split('.').length === 3) return this.authenticateJwt(token, this.jwks);
    return Promise.reject(unauthorized('The token is not valid.'));
  }

  /**
   * The principal for an API token this instance has already verified, without any I/O; undefined when the token
   * needs the full (asynchronous) path. Serves the evaluation fast path.
   */
  cachedPrincipal(authorization: string | undefined): Principal | undefined {
    if (!authorization || authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') {
      return undefined;
    }
    const token = authorization.slice(7).trim();
    const cached = this.cache.get(token);
    const now = this.now();
    if (!cached || cached.expiresAt < now) return undefined;
    this.lastUsed.set(cached.tokenId, new Date(now));
    return cached.principal;
  }

  private async authenticateApiToken(token: string): Promise<Principal> {
    const now = this.now();
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt >= now) {
      this.lastUsed.set(cached.tokenId, new Date(now));
      return cached.principal;
    }
    const hash = hashTokenSecret(token);
    if ((this.unknown.get(hash) ?? 0) >= now) throw unauthorized('The token is not valid or has been revoked.');
    let row: { id: string; role: Role; environment: string | null; allowedOrigins: string[] | null } | undefined;
    try {
      [row] = await this.db
        .select({
          id: apiTokens.id,
          role: apiTokens.role,
          environment: apiTokens.environment,
          allowedOrigins: apiTokens.allowedOrigins,
        })
        .from(apiTokens)
        .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)));
    } catch (error) {
      // While the database is down, a token this instance verified before keeps working, so applications go on
      // evaluating flags from memory through an outage; everything else a token can do needs the database anyway.
      // The one gap: a token revoked moments before an outage, and not presented in between, evaluates until the
      // database is back.
      if (!cached || !isDatabaseUnavailable(error)) throw error;
      this.lastUsed.set(cached.tokenId, new Date(now));
      return cached.principal;
    }
    if (!row) {
      this.cache.delete(token);
      this.unknown.set(hash, now + CACHE_TTL_MS);
      throw unauthorized('The token is not valid or has been revoked.');
    }
    const principal: Principal = {
      role: row.role,
      environment: row.environment,
      actor: { type: 'token', id: row.id, email: null },
      ...(row.allowedOrigins ? { allowedOrigins: Object.freeze([...row.allowedOrigins]) } : {}),
    };
    this.cache.set(token, { principal, tokenId: row.id, expiresAt: now + CACHE_TTL_MS });
    this.lastUsed.set(row.id, new Date(now));
    return principal;
  }

  private async authenticateJwt(token: string, jwks: ReturnType<typeof createRemoteJWKSet>): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        ...(this.config.auth.issuer ? { issuer: this.config.auth.issuer } : {}),
        // A token without an expiry would be valid for ever once leaked.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (isKeySetUnavailable(error)) {
        this.logger.warn({ err: error }, 'could not fetch the signing keys at AUTH_JWKS_URL');
        throw new AppError(
          'UNAVAILABLE',
          'The signing keys for access tokens could not be fetched; try again shortly.',
        );
      }
      // jose's messages name the failed check ('missing required "exp" claim'), never the token's content.
      if (error instanceof joseErrors.JOSEError) {
        throw unauthorized(`The access token was rejected (${error.code}): ${error.message}.`);
      }
      throw error;
    }
    if (this.config.auth.audience && !hasAudience(payload, this.config.auth.audience)) {
      throw unauthorized('The access token was issued for another audience.');
    }
    if (typeof payload.iss === 'string' && COGNITO_ISSUER.test(payload.iss) && payload.token_use !== 'access') {
      throw unauthorized('Send a Cognito access token (token_use "access"), not an ID token.');
    }
    if (!payload.sub) throw unauthorized('The access token has no subject (sub).');
    const groups = groupsOf(payload[this.config.auth.groupsClaim]);
    const approver = groups.some((group) => this.config.auth.approverGroups.includes(group));
    // An approver outside the admin and viewer groups reads as a viewer: reviewing needs to see what changes.
    const role = this.roleFromGroups(groups) ?? (approver ? 'viewer' : undefined);
    if (!role) {
      throw new AppError('FORBIDDEN', 'Your account is in neither an admin nor a viewer group.');
    }
    const email = typeof payload.email === 'string' ? payload.email : null;
    return {
      role,
      ...(approver ? { approver } : {}),
      environment: null,
      actor: { type: 'user', id: payload.sub, email },
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
    };
  }

  private roleFromGroups(groups: readonly string[]): Role | undefined {
    if (groups.some((group) => this.config.auth.adminGroups.includes(group))) return 'admin';
    if (groups.some((group) => this.config.auth.viewerGroups.includes(group))) return 'viewer';
    return undefined;
  }

  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const pending = [...this.lastUsed];
    this.lastUsed.clear();
    // One statement per distinct timestamp would be exact; second-level precision is all "last used" needs.
    const newest = new Date(Math.max(...pending.map(([, at]) => at.getTime())));
    await this.db
      .update(apiTokens)
      .set({ lastUsedAt: newest })
      .where(
        inArray(
          apiTokens.id,
          pending.map(([id]) => id),
        ),
      );
  }
}
