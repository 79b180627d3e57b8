import {
  type CompiledFlag,
  compileFlag,
  evaluateFlag,
  type FlagType,
  type Ruleset,
  type RulesetChange,
  type RulesetFlag,
  type Segment,
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

interface LocalFlag {
  readonly source: RulesetFlag;
  readonly compiled: CompiledFlag;
  /** The flag's JSON and that of the segments it uses: what tells a real change from a repeat. */
  readonly fingerprint: string;
}

/** What each OpenFeature resolve method expects the flag's type to be. */
type ExpectedType = Exclude<FlagType, 'json'> | 'object';

const segmentKeysOf = (flag: RulesetFlag): string[] => [
  ...new Set((flag.rules ?? []).flatMap((rule) => rule.segments ?? [])),
];

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
  private segments = new Map<string, Segment>();
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
    return this.resolveValue(flagKey, defaultValue, context, 'boolean');
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolveValue(flagKey, defaultValue, context, 'string');
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolveValue(flagKey, defaultValue, context, 'number');
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolveValue(flagKey, defaultValue, context, 'object');
  }

  /**
   * Evaluates locally with the server's engine and the whole evaluation context. Never throws: an unknown flag, a
   * flag of another type than the method asks for, or a configuration the engine cannot serve answer the default
   * with an error code.
   */
  resolveValue<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    expected: ExpectedType,
  ): ResolutionDetails<T> {
    const flag = this.flags.get(flagKey);
    if (!flag) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
        errorMessage: `Flag "${flagKey}" was not found.`,
      };
    }
    const type = flag.compiled.type;
    if ((type === 'json' ? 'object' : type) !== expected) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: ErrorCode.TYPE_MISMATCH,
        errorMessage: `Flag "${flagKey}" is a ${type} flag, not ${expected === 'object' ? 'a json' : `a ${expected}`} one.`,
      };
    }
    const resolution = evaluateFlag(flag.compiled, context);
    if (resolution.errorCode !== undefined) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: resolution.errorCode as ErrorCode,
        errorMessage: resolution.errorMessage ?? `Flag "${flagKey}" could not be evaluated.`,
      };
    }
    const flagMetadata =
      type === 'boolean'
        ? { rolloutPercentage: flag.source.rolloutPercentage, ...resolution.metadata }
        : { ...resolution.metadata };
    return {
      value: resolution.value as T,
      reason: resolution.reason,
      variant: resolution.variant,
      flagMetadata,
    };
  }

  private toLocal(flag: RulesetFlag): LocalFlag {
    const segmentJson = segmentKeysOf(flag)
      .map((key) => JSON.stringify(this.segments.get(key) ?? null))
      .join(',');
    return {
      source: flag,
      compiled: compileFlag(flag, this.segments),
      fingerprint: `${JSON.stringify(flag)}\u0000${segmentJson}`,
    };
  }

  /** Takes a whole ruleset and reports which flags differ from what the provider had. */
  private replace(ruleset: Ruleset, etag: string | undefined, announce: boolean): void {
    this.segments = new Map((ruleset.segments ?? []).map((segment) => [segment.key, segment]));
    const next = new Map(ruleset.flags.map((flag) => [flag.key, this.toLocal(flag)]));
    const changed = [...next.entries()]
      .filter(([key, flag]) => this.flags.get(key)?.fingerprint !== flag.fingerprint)
      .map(([key]) => key);
    const removed = [...this.flags.keys()].filter((key) => !next.has(key));
    this.flags = next;
    this.version = ruleset.version;
    this.etag = etag;
    if (announce && changed.length + removed.length > 0) this.announce([...changed, ...removed]);
  }

  private applyChange(change: RulesetChange): void {
    const touched: string[] = [];
    for (const segment of change.segments ?? []) this.segments.set(segment.key, segment);
    for (const key of change.deletedSegments ?? []) this.segments.delete(key);
    // The server lists every flag using a changed segment in `changed`; recompiling the others that use one as well
    // keeps the provider right even if it did not.
    const changedSegments = new Set([...(change.segments ?? []).map((s) => s.key), ...(change.deletedSegments ?? [])]);
    const refreshed = new Map(change.changed.map((flag) => [flag.key, flag]));
    if (changedSegments.size > 0) {
      for (const [key, local] of this.flags) {
        if (!refreshed.has(key) && segmentKeysOf(local.source).some((segment) => changedSegments.has(segment))) {
          refreshed.set(key, local.source);
        }
      }
    }
    for (const flag of refreshed.values()) {
      const local = this.toLocal(flag);
      if (this.flags.get(flag.key)?.fingerprint !== local.fingerprint) touched.push(flag.key);
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
