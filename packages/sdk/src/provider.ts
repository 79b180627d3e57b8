import {
  type EvaluableFlag,
  evaluate,
  type Ruleset,
  type RulesetChange,
  type RulesetFlag,
  toEvaluableFlag,
} from '@flagline/core';
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { FlaglineClient } from './client';

export interface FlaglineProviderOptions {
  /** Flagline's base URL, e.g. http://127.0.0.1:4747 */
  url: string;
  /** A client token (bound to one environment). */
  token: string;
  /** Follow the live stream (default); when false, or while the stream is down, poll the ruleset with its ETag. */
  streaming?: boolean;
  /** Polling interval while not streaming (default 10 s). */
  pollIntervalMs?: number;
  /** First reconnect delay; doubles (jittered) up to maxReconnectMs, and starts again once connected (default 500 ms → 30 s). */
  reconnectMs?: number;
  maxReconnectMs?: number;
  fetch?: typeof fetch;
}

type LocalFlag = EvaluableFlag & { json: string };

/**
 * An OpenFeature server provider that evaluates locally, with the same evaluate() as the Flagline server, from a
 * ruleset kept current by Server-Sent Events (ETag polling when the stream is down). It never throws into the
 * application: problems become error codes in the resolution details and provider events.
 */
export class FlaglineProvider implements Provider {
  readonly metadata = { name: 'flagline' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();

  private readonly client: FlaglineClient;
  private readonly options: Required<Omit<FlaglineProviderOptions, 'fetch'>> & { fetch: typeof fetch };
  private flags = new Map<string, LocalFlag>();
  private version = -1;
  private etag: string | undefined;
  private closed = false;
  private stale = false;
  private abort: AbortController | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private streamLoop: Promise<void> | undefined;

  constructor(options: FlaglineProviderOptions) {
    const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.options = {
      streaming: true,
      pollIntervalMs: 10_000,
      reconnectMs: 500,
      maxReconnectMs: 30_000,
      ...options,
      fetch: fetchImpl,
    };
    this.client = new FlaglineClient({ url: options.url, token: options.token, fetch: fetchImpl });
  }

  /** The config version the provider's ruleset is at (-1 before the first load). */
  get rulesetVersion(): number {
    return this.version;
  }

  async initialize(): Promise<void> {
    this.closed = false;
    try {
      const result = await this.client.getRuleset();
      if (result) this.replace(result.ruleset, result.etag, false);
    } catch (error) {
      // Reported as PROVIDER_ERROR by the SDK; keep trying in the background and announce PROVIDER_READY once the
      // ruleset has loaded, so an application started while Flagline is down recovers on its own.
      this.stale = true;
      this.follow();
      throw error;
    }
    this.follow();
  }

  async onClose(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    this.stopPolling();
    await this.streamLoop;
  }

  private follow(): void {
    if (this.options.streaming) this.streamLoop = this.followStream();
    else this.startPolling();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolveBoolean(flagKey, defaultValue, context);
  }

  /** The synchronous evaluation path (what resolveBooleanEvaluation runs). */
  resolveBoolean(flagKey: string, defaultValue: boolean, context: EvaluationContext): ResolutionDetails<boolean> {
    const flag = this.flags.get(flagKey);
    if (!flag) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
        errorMessage: `Flag "${flagKey}" was not found.`,
      };
    }
    const targetingKey = typeof context.targetingKey === 'string' ? context.targetingKey : undefined;
    const result = evaluate(flag, targetingKey);
    return {
      value: result.value,
      reason: result.reason,
      variant: result.value ? 'on' : 'off',
      flagMetadata: { rolloutPercentage: flag.rolloutPercentage },
    };
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return this.typeMismatch(flagKey, defaultValue);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return this.typeMismatch(flagKey, defaultValue);
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return this.typeMismatch(flagKey, defaultValue);
  }

  private typeMismatch<T>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return {
      value: defaultValue,
      reason: 'ERROR',
      errorCode: this.flags.has(flagKey) ? ErrorCode.TYPE_MISMATCH : ErrorCode.FLAG_NOT_FOUND,
      errorMessage: this.flags.has(flagKey)
        ? `Flag "${flagKey}" is boolean; Flagline flags are on or off.`
        : `Flag "${flagKey}" was not found.`,
    };
  }

  private toLocal(flag: RulesetFlag): LocalFlag {
    return { ...toEvaluableFlag(flag), json: JSON.stringify(flag) };
  }

  /** Takes a whole ruleset and reports which flags differ from what the provider had. */
  private replace(ruleset: Ruleset, etag: string | undefined, announce: boolean): void {
    const next = new Map(ruleset.flags.map((flag) => [flag.key, this.toLocal(flag)]));
    const changed = [...next.values()].filter((flag) => this.flags.get(flag.key)?.json !== flag.json).map((f) => f.key);
    const removed = [...this.flags.keys()].filter((key) => !next.has(key));
    this.flags = next;
    this.version = ruleset.version;
    this.etag = etag;
    if (announce && changed.length + removed.length > 0) this.announce([...changed, ...removed]);
  }

  private applyChange(change: RulesetChange): void {
    const touched: string[] = [];
    for (const flag of change.changed) {
      const local = this.toLocal(flag);
      if (this.flags.get(flag.key)?.json !== local.json) touched.push(flag.key);
      this.flags.set(flag.key, local);
    }
    for (const key of change.deleted) if (this.flags.delete(key)) touched.push(key);
    this.version = Math.max(this.version, change.version);
    this.etag = undefined;
    if (touched.length > 0) this.announce(touched);
  }

  private announce(flagsChanged: string[]): void {
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
  }

  private markStale(message: string): void {
    if (this.stale || this.closed) return;
    this.stale = true;
    this.events.emit(ProviderEvents.Stale, { message });
  }

  private markFresh(): void {
    if (!this.stale) return;
    this.stale = false;
    this.events.emit(ProviderEvents.Ready, {});
  }

  /**
   * Follows the live stream (the client reconnects with backoff, resuming from the last version): while it is down
   * the provider is stale and polls; a snapshot replaces the ruleset, a change patches it.
   */
  private async followStream(): Promise<void> {
    this.abort = new AbortController();
    const changes = this.client.stream({
      ...(this.version >= 0 ? { lastEventId: String(this.version) } : {}),
      signal: this.abort.signal,
      backoff: { initialMs: this.options.reconnectMs, maxMs: this.options.maxReconnectMs },
    });
    for await (const event of changes) {
      if (this.closed) return;
      if (event.type === 'open') {
        this.stopPolling();
        // Never loaded (the first fetch failed): the snapshot that follows announces readiness once it has loaded.
        if (this.version >= 0) this.markFresh();
      } else if (event.type === 'snapshot') {
        this.replace(event.ruleset, undefined, true);
        this.markFresh();
      } else if (event.type === 'change') {
        this.applyChange(event.change);
      } else {
        this.markStale(`Lost the Flagline stream: ${event.error.message}`);
        this.startPolling();
      }
    }
  }

  private startPolling(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
    this.pollTimer.unref?.();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    try {
      const result = await this.client.getRuleset(this.etag ? { etag: this.etag } : {});
      if (!this.pollTimer) return; // the stream came back meanwhile and is newer than this answer
      if (result) this.replace(result.ruleset, result.etag, true);
      if (!this.options.streaming) this.markFresh();
    } catch (error) {
      if (this.closed || !this.pollTimer) return;
      // Not fresh any more: the next successful poll (or stream) announces PROVIDER_READY again.
      this.stale = true;
      this.events.emit(ProviderEvents.Error, {
        message: `Could not refresh flags: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
