import { and, inArray, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { apiTokens } from '../db/schema';
import type { Principal } from '../http/context';
import { AppError } from '../shared/errors';
import { isUuid } from '../shared/ids';
import type { SnapshotStore } from './snapshot';

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

interface OpenStream {
  tokenId: string | undefined;
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

  constructor(
    private readonly db: Db,
    snapshots: SnapshotStore,
    private readonly limits: StreamLimits,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    snapshots.onTokensChange(() => {
      // Serialised, so a burst of revocations costs one look-up after another rather than many at once.
      this.checking = this.checking.then(() => this.endRevoked());
    });
  }

  /** Registers a stream for `principal`; throws RATE_LIMITED when the credential already holds its maximum. */
  open(principal: Principal, end: (reason: StreamEndReason) => void): StreamLease {
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

  /** Ends every stream whose API token is no longer live. */
  private async endRevoked(): Promise<void> {
    const open = [...this.byCredential.values()].flatMap((streams) => [...streams]);
    const tokenIds = [...new Set(open.map((stream) => stream.tokenId).filter((id): id is string => id !== undefined))];
    if (tokenIds.length === 0) return;
    let live: Set<string>;
    try {
      const rows = await this.db
        .select({ id: apiTokens.id })
        .from(apiTokens)
        .where(and(inArray(apiTokens.id, tokenIds), isNull(apiTokens.revokedAt)));
      live = new Set(rows.map((row) => row.id));
    } catch (error) {
      // The next token change (or the poll that finds it) looks again.
      this.logger.warn({ err: error }, 'could not check open streams for revoked tokens');
      return;
    }
    for (const stream of open) {
      if (stream.tokenId !== undefined && !live.has(stream.tokenId)) stream.end('revoked');
    }
  }
}
