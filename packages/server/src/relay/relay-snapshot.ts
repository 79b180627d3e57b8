import { type Ruleset, type RulesetChange, rulesetChangeSchema, rulesetSchema } from '@flagline/core';
import type { Logger } from 'pino';
import type { ConfigSnapshot } from '../delivery/load-snapshot';
import type { SnapshotListener, SnapshotSource } from '../delivery/snapshot-source';
import { addsFlags, applyChange, fromRuleset, type RelayRuleset, toConfigSnapshot } from './ruleset-snapshot';
import { type SseEvent, UpstreamStream } from './upstream-stream';

export interface RelaySnapshotOptions {
  upstream: string;
  token: string;
  environment: string | undefined;
  logger: Logger;
}

export interface UpstreamState {
  connected: boolean;
  /** When the relay last heard from the upstream (an event or a heartbeat). */
  lastHeardAt: Date | undefined;
  /** Since when the relay has been without its upstream; undefined while connected. */
  disconnectedSince: Date | undefined;
  lastError: string | undefined;
  reconnects: number;
}

/**
 * A relay's snapshot: the environment's ruleset from the upstream's server stream — event `snapshot` on connect, then
 * `change` events — compiled as the server compiles its own. No database: when the upstream is away the last snapshot
 * stays and the relay reports itself stale; it reconnects with Last-Event-ID so it receives only what it missed.
 */
export class RelaySnapshot implements SnapshotSource {
  private ruleset: RelayRuleset | undefined;
  private snapshot: ConfigSnapshot | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly tokenListeners = new Set<() => void>();
  private readonly stream: UpstreamStream;
  private firstSnapshot: { promise: Promise<void>; resolve: () => void };
  readonly state: UpstreamState = {
    connected: false,
    lastHeardAt: undefined,
    disconnectedSince: new Date(),
    lastError: undefined,
    reconnects: 0,
  };

  constructor(private readonly options: RelaySnapshotOptions) {
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    this.firstSnapshot = { promise, resolve };
    this.stream = new UpstreamStream({
      upstream: options.upstream,
      token: options.token,
      environment: options.environment,
      logger: options.logger,
      lastEventId: () => (this.ruleset ? String(this.ruleset.version) : undefined),
      onOpen: () => {
        const reconnected = this.state.disconnectedSince !== undefined && this.state.lastHeardAt !== undefined;
        if (reconnected) this.state.reconnects += 1;
        this.state.connected = true;
        this.state.disconnectedSince = undefined;
        this.state.lastHeardAt = new Date();
        options.logger.info({ upstream: options.upstream }, 'relay: connected to the upstream stream');
        // A token may have been revoked while the relay could not hear of it.
        if (reconnected) this.credentialsChanged();
      },
      onHeard: () => {
        this.state.lastHeardAt = new Date();
      },
      onEvent: (event) => this.receive(event),
      onClose: (reason) => {
        if (this.state.connected) this.state.disconnectedSince = new Date();
        this.state.connected = false;
        this.state.lastError = reason;
        // Refused before any snapshot: the start need not wait to report it (see `refused`).
        if (!this.snapshot && this.refused) this.firstSnapshot.resolve();
      },
    });
  }

  get current(): ConfigSnapshot {
    if (!this.snapshot) throw new Error('no snapshot from the upstream yet');
    return this.snapshot;
  }

  get ready(): boolean {
    return this.snapshot !== undefined;
  }

  /** Current while connected; otherwise as of the last word from the upstream. */
  get checkedAt(): Date {
    if (this.state.connected) return new Date();
    return this.state.lastHeardAt ?? new Date(0);
  }

  /** Whether the upstream's last answer refused the relay's token (401 or 403). */
  get refused(): boolean {
    return /^upstream answered 40[13]\b/.test(this.state.lastError ?? '');
  }

  /** Seconds the snapshot may be behind the upstream: 0 while connected. */
  get staleSeconds(): number {
    return (Date.now() - this.checkedAt.getTime()) / 1000;
  }

  /**
   * Connects; resolves once the first snapshot arrived, the upstream refused the token, or after `waitMs` (the relay
   * then answers 503 until a snapshot arrives).
   */
  async start(waitMs: number): Promise<void> {
    this.stream.start();
    await Promise.race([this.firstSnapshot.promise, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }

  async stop(): Promise<void> {
    await this.stream.stop();
  }

  onChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The upstream said tokens were created or revoked (its `credentials` event), or the relay may have missed that. */
  onTokensChange(listener: () => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  private credentialsChanged(): void {
    for (const listener of this.tokenListeners) listener();
  }

  private async receive(event: SseEvent): Promise<void> {
    if (event.event === 'credentials') {
      this.credentialsChanged();
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.options.logger.warn({ event: event.event }, 'relay: the upstream sent an event that is not JSON; ignored');
      return;
    }
    if (event.event === 'snapshot') {
      // Validated, but the parsed object is kept as sent: the schema's output would reorder members, and the relay's
      // bodies must be the upstream's byte for byte.
      if (!rulesetSchema.safeParse(data).success) {
        this.options.logger.warn('relay: the upstream sent a snapshot that is not a ruleset; ignored');
        return;
      }
      this.install(fromRuleset(data as Ruleset));
    } else if (event.event === 'change') {
      if (!rulesetChangeSchema.safeParse(data).success || !this.ruleset) return;
      const change = data as RulesetChange;
      if (change.version <= this.ruleset.version) return;
      const order = addsFlags(this.ruleset, change) ? await this.upstreamOrder() : undefined;
      this.install(applyChange(this.ruleset, change, order));
    }
  }

  private install(next: RelayRuleset): void {
    const previous = this.snapshot;
    if (this.ruleset && next.version < this.ruleset.version) return;
    this.ruleset = next;
    this.snapshot = toConfigSnapshot(next);
    this.firstSnapshot.resolve();
    if (previous) for (const listener of this.listeners) listener(this.snapshot, previous);
  }

  /**
   * The order of the upstream's flags, from its ruleset, for a change that adds flags: the upstream lists them as its
   * database collates their keys, which the relay cannot reproduce on its own. Undefined if it cannot be read.
   */
  private async upstreamOrder(): Promise<string[] | undefined> {
    try {
      const url = new URL('/api/client/flags', this.options.upstream);
      if (this.options.environment) url.searchParams.set('environment', this.options.environment);
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${this.options.token}` },
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status !== 200) return undefined;
      const ruleset = (await response.json()) as Ruleset;
      return ruleset.flags.map((flag) => flag.key);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'relay: could not read the upstream ruleset for the flag order');
      return undefined;
    }
  }
}
