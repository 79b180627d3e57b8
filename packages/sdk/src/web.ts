import { OFREPWebProvider, type OFREPWebProviderOptions } from '@openfeature/ofrep-web-provider';
import { type EvaluationContext, type Logger, ProviderEvents } from '@openfeature/web-sdk';
import type { BackoffOptions } from './backoff';
import { type ChangeNotice, followChangeNotices } from './change-notices';

export interface FlaglineWebProviderOptions {
  /** Flagline's base URL, e.g. https://flags.example.com */
  url: string;
  /** A frontend token (`role: "frontend"`) whose allowedOrigins include the page's origin. */
  token: string;
  /** Follow GET /api/config/stream and re-evaluate on every change notice (default true). */
  live?: boolean;
  /** Reconnect delays of the change stream (default 500 ms doubling to 30 s, jittered). */
  reconnect?: BackoffOptions;
  /**
   * How the official provider persists values in localStorage. `network-first` (default) waits for the server and
   * falls back to the last values only when it cannot be reached; `disabled` never persists. (`local-cache-first` is
   * not offered: it would answer a change notice from the persisted copy before the server.)
   */
  cacheMode?: 'network-first' | 'disabled';
  /** Re-evaluate this often as well (ms), e.g. where streams are cut by a proxy; 0 (default) relies on the stream. */
  pollInterval?: number;
  /** Called with every change notice and disconnect, for diagnostics. */
  onNotice?: (notice: ChangeNotice) => void;
  fetch?: typeof fetch;
  /** Anything else the official OFREP web provider accepts (timeouts, headers, …). */
  ofrep?: Omit<OFREPWebProviderOptions, 'baseUrl' | 'cacheMode' | 'pollInterval' | 'fetchImplementation'>;
}

/**
 * The official OFREP web provider pointed at Flagline with a frontend token (the server evaluates; the browser sees
 * values only), plus live updates: Flagline's change notices make it re-evaluate at once, and the flags whose values
 * changed are announced as ProviderEvents.ConfigurationChanged, which re-renders @openfeature/react-sdk's hooks.
 */
export class FlaglineWebProvider extends OFREPWebProvider {
  private readonly flaglineOptions: FlaglineWebProviderOptions;
  private stop = new AbortController();
  private currentContext: EvaluationContext = {};
  /** A notice arrived while a re-evaluation ran: run one more, so a change committed mid-request is not missed. */
  private refreshAgain = false;
  private refreshing: Promise<void> | undefined;
  /** Set by the provider's Error event (it reports a failed re-evaluation so); a later success announces Ready. */
  private errors = 0;
  private failing = false;

  constructor(options: FlaglineWebProviderOptions, logger?: Logger) {
    const fetchImplementation = options.fetch;
    super(
      {
        ...options.ofrep,
        baseUrl: options.url.replace(/\/+$/, ''),
        headers: [...(options.ofrep?.headers ?? []), ['Authorization', `Bearer ${options.token}`]],
        cacheMode: options.cacheMode ?? 'network-first',
        pollInterval: options.pollInterval ?? 0,
        ...(fetchImplementation ? { fetchImplementation } : {}),
      },
      logger,
    );
    this.flaglineOptions = options;
    this.events.addHandler(ProviderEvents.Error, () => {
      this.errors += 1;
      this.failing = true;
    });
  }

  override async initialize(context?: EvaluationContext, domain?: string): Promise<void> {
    this.currentContext = context ?? {};
    // A provider set again after being closed follows the stream again.
    if (this.stop.signal.aborted) this.stop = new AbortController();
    await super.initialize(context, domain);
    if (this.flaglineOptions.live !== false) void this.follow();
  }

  override async onContextChange(oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    this.currentContext = newContext;
    await super.onContextChange(oldContext, newContext);
  }

  override async onClose(): Promise<void> {
    this.stop.abort();
    await super.onClose?.();
  }

  /**
   * Evaluates every flag again for the current context (an ETag makes it a 304 when nothing changed) and announces
   * the flags whose values differ. Concurrent calls share one request plus, at most, one more after it.
   */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          const before = this.flagCache;
          const context = this.currentContext;
          const errorsBefore = this.errors;
          // The provider's own public re-evaluation: with the cache modes offered here it always asks the server.
          await super.onContextChange(context, context);
          if (this.errors === errorsBefore && this.failing) {
            this.failing = false;
            this.events.emit(ProviderEvents.Ready, { message: 'Flagline: the server answers again' });
          }
          const after = this.flagCache;
          const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
            (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
          );
          if (changed.length > 0) {
            this.events.emit(ProviderEvents.ConfigurationChanged, {
              message: 'Flagline: flags changed',
              flagsChanged: changed,
            });
          }
        } while (this.refreshAgain && !this.stop.signal.aborted);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async follow(): Promise<void> {
    const { url, token, reconnect, fetch: fetchImpl, onNotice } = this.flaglineOptions;
    const notices = followChangeNotices({
      url,
      token,
      signal: this.stop.signal,
      ...(reconnect ? { backoff: reconnect } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
    for await (const notice of notices) {
      onNotice?.(notice);
      // `ready` comes on every (re)connect: what changed before it, while the stream was not yet or no longer open,
      // is caught up by the same re-evaluation.
      // Not awaited: notices arriving meanwhile must be read (and folded into one more re-evaluation), not queued.
      if (notice.type === 'ready' || notice.type === 'change') void this.refresh();
      // Refused (revoked, expired): evaluating again lets the OFREP provider report it as an Error event, once.
      if (notice.type === 'disconnected' && (notice.status === 401 || notice.status === 403) && !this.failing) {
        void this.refresh();
      }
    }
  }
}

/** The official OFREP web provider configured for Flagline, with live updates; see FlaglineWebProvider. */
export function createFlaglineWebProvider(options: FlaglineWebProviderOptions, logger?: Logger): FlaglineWebProvider {
  return new FlaglineWebProvider(options, logger);
}

export { type ChangeNotice, type ChangeNoticeOptions, followChangeNotices } from './change-notices';
