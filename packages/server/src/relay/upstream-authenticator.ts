import { evaluationPrincipalSchema } from '@flagline/core';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { FailedAuthenticationLimiter } from '../auth/failed-authentication-limiter';
import type { CredentialVerifier } from '../delivery/snapshot-source';
import type { RevocationCheck, StreamCredential } from '../delivery/stream-registry';
import type { Principal } from '../http/context';
import { AppError } from '../shared/errors';

/** How long an answer from the upstream is used before the credential is asked about again. */
export const RELAY_AUTH_TTL_MS = 10_000;
const CACHE_MAX_ENTRIES = 10_000;

interface CachedAnswer {
  principal: Principal | undefined;
  error: AppError | undefined;
  freshUntil: number;
}

/** Whether the upstream said no to the credential itself (as opposed to not answering). */
const isRefusal = (error: unknown): error is AppError =>
  error instanceof AppError && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN');

/**
 * A relay has no token table: it asks its upstream who a credential is (GET /api/config/principal, with that
 * credential) and keeps the answer RELAY_AUTH_TTL_MS in a bounded LRU. While the upstream is unreachable a credential
 * it accepted before keeps working (as a server keeps verified tokens through a database outage); one never seen gets
 * 503. Failed attempts count per client address here too, so guessing at a relay is stopped before the upstream.
 */
export class UpstreamAuthenticator implements CredentialVerifier {
  private readonly cache = new LRUCache<string, CachedAnswer>({ max: CACHE_MAX_ENTRIES });
  private readonly pending = new Map<string, Promise<Principal>>();
  private readonly limiter: FailedAuthenticationLimiter;

  constructor(
    private readonly upstream: string,
    failuresPerMinute: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.limiter = new FailedAuthenticationLimiter(failuresPerMinute);
  }

  cachedPrincipal(authorization: string | undefined): Principal | undefined {
    if (!authorization) return undefined;
    const cached = this.cache.get(authorization);
    return cached && cached.freshUntil >= this.now() ? cached.principal : undefined;
  }

  async authenticate(authorization: string | undefined, clientAddress = 'unknown'): Promise<Principal> {
    if (!authorization) {
      throw new AppError('UNAUTHORIZED', 'Send an API token or access token as "Authorization: Bearer <token>".');
    }
    const cached = this.cache.get(authorization);
    if (cached && cached.freshUntil >= this.now()) {
      if (cached.principal) return cached.principal;
      await this.limiter.assertAllowed(clientAddress);
      await this.limiter.recordFailure(clientAddress);
      throw cached.error ?? new AppError('UNAUTHORIZED', 'The token is not valid or has been revoked.');
    }
    if (!cached?.principal) await this.limiter.assertAllowed(clientAddress);
    try {
      return await this.lookUp(authorization);
    } catch (error) {
      if (isRefusal(error)) {
        if (error.code === 'UNAUTHORIZED') await this.limiter.recordFailure(clientAddress);
        throw error;
      }
      // The upstream did not answer: a credential it accepted before keeps evaluating from the relay's snapshot.
      if (cached?.principal) return cached.principal;
      throw error;
    }
  }

  /**
   * Tokens changed upstream: every cached answer is asked again at its next use. Kept rather than dropped, so a
   * credential the upstream accepted still works if the upstream stops answering.
   */
  invalidate(): void {
    for (const answer of this.cache.values()) answer.freshUntil = 0;
  }

  /** For open streams: the ones whose credential the upstream now refuses (one question per credential). */
  readonly revoked: RevocationCheck = async (streams) => {
    const byCredential = new Map<string, StreamCredential[]>();
    for (const stream of streams) {
      if (stream.credential === undefined) continue;
      byCredential.set(stream.credential, [...(byCredential.get(stream.credential) ?? []), stream]);
    }
    const revoked = new Set<StreamCredential>();
    await Promise.all(
      [...byCredential].map(async ([credential, open]) => {
        try {
          await this.lookUp(credential);
        } catch (error) {
          // Only a refusal ends streams; an upstream that does not answer cannot say access ended.
          if (isRefusal(error)) for (const stream of open) revoked.add(stream);
        }
      }),
    );
    return revoked;
  };

  /** Asks the upstream, one request per credential at a time however many callers wait. */
  private lookUp(authorization: string): Promise<Principal> {
    const inFlight = this.pending.get(authorization);
    if (inFlight) return inFlight;
    const request = this.ask(authorization).finally(() => this.pending.delete(authorization));
    this.pending.set(authorization, request);
    return request;
  }

  private async ask(authorization: string): Promise<Principal> {
    let response: Response;
    try {
      response = await fetch(new URL('/api/config/principal', this.upstream), {
        headers: { authorization },
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'relay: could not reach the upstream to check a credential');
      throw new AppError(
        'UNAVAILABLE',
        'The relay cannot reach its upstream to check this credential; try again shortly.',
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    const message = (body as { message?: unknown } | undefined)?.message;
    const upstreamMessage = typeof message === 'string' ? message : undefined;
    if (response.status === 401 || response.status === 403) {
      const error = new AppError(
        response.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
        upstreamMessage ?? 'The token is not valid or has been revoked.',
      );
      this.cache.set(authorization, { principal: undefined, error, freshUntil: this.now() + RELAY_AUTH_TTL_MS });
      throw error;
    }
    const parsed = evaluationPrincipalSchema.safeParse(body);
    if (response.status !== 200 || !parsed.success) {
      this.logger.warn({ status: response.status }, 'relay: the upstream could not check a credential');
      throw new AppError(
        'UNAVAILABLE',
        'The relay could not check this credential with its upstream; try again shortly.',
      );
    }
    const { role, environment, actor, allowedOrigins, expiresAt } = parsed.data;
    const principal: Principal = {
      role,
      environment,
      actor,
      ...(allowedOrigins === undefined ? {} : { allowedOrigins: Object.freeze([...allowedOrigins]) }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    this.cache.set(authorization, { principal, error: undefined, freshUntil: this.now() + RELAY_AUTH_TTL_MS });
    return principal;
  }
}
