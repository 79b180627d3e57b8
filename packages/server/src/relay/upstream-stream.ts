import type { Logger } from 'pino';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export interface UpstreamStreamOptions {
  /** The upstream's base URL (a server or another relay). */
  upstream: string;
  token: string;
  environment: string | undefined;
  logger: Logger;
  /** The Last-Event-ID to resume from, asked for at each (re)connection. */
  lastEventId(): string | undefined;
  onOpen(): void;
  onEvent(event: SseEvent): Promise<void>;
  /** Anything arrived (an event or a heartbeat): the upstream is alive. */
  onHeard(): void;
  onClose(reason: string): void;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** A stream that has been silent this long is dead even if the socket says otherwise (heartbeats come every 15 s). */
const SILENCE_TIMEOUT_MS = 45_000;

/** Splits an SSE byte stream into events (comments are heartbeats: they count as heard, nothing more). */
export function parseSseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, id, data: data.join('\n') };
}

/**
 * Follows the upstream's server stream (GET /api/client/stream) for as long as the relay runs: reconnects with
 * exponential backoff (capped, jittered) and Last-Event-ID, so after an outage it receives only what it missed, or
 * a fresh snapshot when the upstream cannot tell.
 */
export class UpstreamStream {
  private abort: AbortController | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: UpstreamStreamOptions) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      const startedAt = Date.now();
      let reason: string;
      try {
        reason = await this.follow();
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
      if (this.stopped) return;
      this.options.onClose(reason);
      // A stream that ran a while ended normally (its lifetime, an upstream restart): come back at once.
      if (Date.now() - startedAt > 10_000) backoff = MIN_BACKOFF_MS;
      const delay = backoff / 2 + Math.random() * (backoff / 2);
      this.options.logger.warn({ reason, retryInMs: Math.round(delay) }, 'relay: upstream stream closed; reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** One connection, until it ends; resolves with why. */
  private async follow(): Promise<string> {
    const abort = new AbortController();
    this.abort = abort;
    const url = new URL('/api/client/stream', this.options.upstream);
    if (this.options.environment) url.searchParams.set('environment', this.options.environment);
    const lastEventId = this.options.lastEventId();
    const response = await fetch(url, {
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: 'text/event-stream',
        ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      },
      signal: abort.signal,
    });
    if (response.status !== 200 || !response.body) {
      const text = await response.text().catch(() => '');
      return `upstream answered ${response.status}: ${text.slice(0, 300)}`;
    }
    this.options.onOpen();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let silence = setTimeout(() => abort.abort(), SILENCE_TIMEOUT_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'the upstream ended the stream';
        clearTimeout(silence);
        silence = setTimeout(() => abort.abort(), SILENCE_TIMEOUT_MS);
        this.options.onHeard();
        buffer += value.replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseSseBlock(block);
          if (event) await this.options.onEvent(event);
        }
      }
    } finally {
      clearTimeout(silence);
      abort.abort();
    }
  }
}
