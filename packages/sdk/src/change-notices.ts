import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Backoff, type BackoffOptions, sleep } from './backoff';

/**
 * GET /api/config/stream read with fetch rather than EventSource: EventSource cannot send the Authorization header the
 * route requires, and a token in the URL would end up in logs and histories. Imports nothing from @flagline/core, so a
 * browser bundle stays small.
 */

export type ChangeNotice =
  /** Connected (first time or again) at this config version: whatever changed while away is not replayed. */
  | { type: 'ready'; version: number }
  /** A committed change; `flags` are the keys whose values may differ now. */
  | { type: 'change'; version: number; flags: string[] }
  /**
   * The connection failed or ended; the next attempt is made after `retryInMs`. `status` is the HTTP status when the
   * server refused the stream (401 or 403: the token was revoked or expired).
   */
  | { type: 'disconnected'; error: Error; retryInMs: number; status?: number };

export interface ChangeNoticeOptions {
  url: string;
  token: string;
  /** Which environment to follow; only tokens that may read several (admin) need it, others have their own. */
  environment?: string;
  signal: AbortSignal;
  backoff?: BackoffOptions;
  fetch?: typeof fetch;
}

function toNotice(message: EventSourceMessage): ChangeNotice | undefined {
  if (message.event !== 'ready' && message.event !== 'change') return undefined;
  const data = JSON.parse(message.data) as { version?: unknown; flags?: unknown };
  const version = typeof data.version === 'number' ? data.version : Number(message.id ?? Number.NaN);
  if (message.event === 'ready') return { type: 'ready', version };
  const flags = Array.isArray(data.flags) ? data.flags.filter((key): key is string => typeof key === 'string') : [];
  return { type: 'change', version, flags };
}

/** The change notices of the token's environment, followed across reconnects until `signal` aborts. */
export async function* followChangeNotices(options: ChangeNoticeOptions): AsyncGenerator<ChangeNotice> {
  const { signal } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = new Backoff(options.backoff);
  const query = options.environment === undefined ? '' : `?environment=${encodeURIComponent(options.environment)}`;
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/config/stream${query}`;
  while (!signal.aborted) {
    let failure: Error;
    let status: number | undefined;
    try {
      const response = await fetchImpl(endpoint, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${options.token}` },
        cache: 'no-store',
        signal,
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        status = response.status;
        throw new Error(`The change stream answered ${response.status}.`);
      }
      backoff.reset();
      const reader = response.body.getReader();
      const stop = () => void reader.cancel().catch(() => {});
      signal.addEventListener('abort', stop);
      const decoder = new TextDecoder();
      const messages: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (message) => messages.push(message) });
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          parser.feed(decoder.decode(read.value, { stream: true }));
          for (const message of messages.splice(0)) {
            const notice = toNotice(message);
            if (notice) yield notice;
          }
        }
      } finally {
        signal.removeEventListener('abort', stop);
        stop();
      }
      failure = new Error('The change stream ended.');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (signal.aborted) return;
    const retryInMs = backoff.next();
    yield { type: 'disconnected', error: failure, retryInMs, ...(status === undefined ? {} : { status }) };
    await sleep(retryInMs, signal);
  }
}
