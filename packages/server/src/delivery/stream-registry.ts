import { and, inArray, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { apiTokens } from '../db/schema';
import type { Principal } from '../http/context';
import { AppError } from '../shared/errors';
import { isUuid } from '../shared/ids';
import type { SnapshotSource } from './snapshot-source';

export type StreamEndReason = 'revoked' | 'expired' | 'max_lifetime' | 'slow_reader';

export interface StreamLimits {
  /** Streams one credential may hold open on this instance at once. */
  maxPerToken: number;
  /** The longest a stream stays open before it is ended, so the client reconnects and presents its credential again. */
  maxLifetimeMs: number;
}

export interface StreamLease {
  /** When the stream must end (its lifetime, or the access token's expiry), in milliseconds since the epoch. */
  readonly deadline: number;
  /** Ends the stream now, for `reason`; later calls do nothing. */
  end(reason: StreamEndReason): void;
  /** Gives the slot back; call once, when the stream has ended. */
  release(): void;
}

/** What a stream was opened with: what decides whether access has ended. */
export interface StreamCredential {
  /** The API token's id, for the database's check. */
  readonly tokenId: string | undefined;
  /** The Authorization header it presented, for a relay's check against its upstream. */
  readonly credential: string | undefined;
}

/** Of these open streams, the ones whose credential no longer gives access; throws when it cannot tell. */
export type RevocationCheck = (streams: readonly StreamCredential[]) => Promise<ReadonlySet<StreamCredential>>;

/** The server's check: streams whose API token is revoked in the database. */
export function revokedInDatabase(db: Db): RevocationCheck {
  return async (streams) => {
    const tokenIds = [
      ...new Set(streams.map((stream) => stream.tokenId).filter((id): id is string => id !== undefined)),
    ];
    if (tokenIds.length === 0) return new Set();
    const rows = await db
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(and(inArray(apiTokens.id, tokenIds), isNull(apiTokens.revokedAt)));
    const live = new Set(rows.map((row) => row.id));
    return new Set(streams.filter((stream) => stream.tokenId !== undefined && !live.has(stream.tokenId)));
  };
}

interface OpenStream extends StreamCredential {
  end: (reason: StreamEndReason) => void;
}

/** How long a client told to come back is told to wait (Retry-After) when it holds too many streams. */
const STREAM_CAP_RETRY_SECONDS = 5;

/**
 * The streams open on this instance, by credential, so that access ending ends them: a revoked API token (every
 * instance hears of it through the change notice, and checks its own streams' tokens), an access token reaching its
 * `exp`, and the stream's own maximum lifetime. It also caps how many streams one credential may hold.
 */
export class StreamRegistry {
  private readonly byCredential = new Map<string, Set<OpenStream>>();
  private checking: Promise<void> = Promise.resolve();

  /**
   * `recheckMs`: also check every so often, for a source that may not hear of every token change (a relay whose
   * upstream predates the stream's `credentials` event).
   */
  constructor(
    private readonly revoked: RevocationCheck,
    snapshots: SnapshotSource,
    private readonly limits: StreamLimits,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    recheckMs?: number,
  ) {
    snapshots.onTokensChange(() => this.check());
    // Unref'd: it lives as long as the app, and never keeps a stopping process up.
    if (recheckMs !== undefined) setInterval(() => this.check(), recheckMs).unref();
  }

  private check(): void {
    // Serialised, so a burst of revocations costs one look-up after another rather than many at once.
    this.checking = this.checking.then(() => this.endRevoked());
  }

  /** Registers a stream for `principal`; throws RATE_LIMITED when the credential already holds its maximum. */
  open(principal: Principal, end: (reason: StreamEndReason) => void, credential?: string): StreamLease {
    const key = `${principal.actor.type}:${principal.actor.id}`;
    const streams = this.byCredential.get(key) ?? new Set<OpenStream>();
    if (streams.size >= this.limits.maxPerToken) {
      throw new AppError(
        'RATE_LIMITED',
        `This credential already holds ${streams.size} open streams (SSE_MAX_STREAMS_PER_TOKEN); close one or try again later.`,
        { limit: this.limits.maxPerToken },
        STREAM_CAP_RETRY_SECONDS,
      );
    }
    this.byCredential.set(key, streams);
    const tokenId = principal.actor.type === 'token' && isUuid(principal.actor.id) ? principal.actor.id : undefined;
    let ended = false;
    const entry: OpenStream = {
      tokenId,
      credential,
      end: (reason) => {
        if (ended) return;
        ended = true;
        end(reason);
      },
    };
    streams.add(entry);
    const deadline = Math.min(this.now() + this.limits.maxLifetimeMs, principal.expiresAt ?? Number.POSITIVE_INFINITY);
    const reason: StreamEndReason =
      principal.expiresAt !== undefined && principal.expiresAt <= this.now() + this.limits.maxLifetimeMs
        ? 'expired'
        : 'max_lifetime';
    const timer = setTimeout(() => entry.end(reason), Math.max(0, deadline - this.now()));
    timer.unref();
    return {
      deadline,
      end: entry.end,
      release: () => {
        clearTimeout(timer);
        streams.delete(entry);
        if (streams.size === 0) this.byCredential.delete(key);
      },
    };
  }

  /** Open streams on this instance. */
  get size(): number {
    let total = 0;
    for (const streams of this.byCredential.values()) total += streams.size;
    return total;
  }

  /** Ends every stream whose credential no longer gives access. */
  private async endRevoked(): Promise<void> {
    const open = [...this.byCredential.values()].flatMap((streams) => [...streams]);
    if (open.length === 0) return;
    let revoked: ReadonlySet<StreamCredential>;
    try {
      revoked = await this.revoked(open);
    } catch (error) {
      // The next token change (or the poll that finds it) looks again.
      this.logger.warn({ err: error }, 'could not check open streams for revoked tokens');
      return;
    }
    for (const stream of open) if (revoked.has(stream)) stream.end('revoked');
  }
}
