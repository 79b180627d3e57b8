import { type Ruleset, type RulesetChange, rulesetChangeSchema, rulesetSchema } from '@flagline/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Client } from 'openapi-fetch';
import type { paths } from './api-types/index';
import { Backoff, type BackoffOptions, sleep } from './backoff';
import { FlaglineApiError } from './errors';

export interface FlagStreamOptions {
  /** The environment to follow (a client token's own environment always wins). */
  environment?: string;
  /** Resume after this event id (a config version): the server sends only the changes since, else a snapshot. */
  lastEventId?: string;
  /** Ends the stream: the iterator returns, the connection closes and no reconnect is made. */
  signal?: AbortSignal;
  /** Reconnect delays (default 500 ms doubling to 30 s, jittered), reset by every successful connection. */
  backoff?: BackoffOptions;
}

export type FlagStreamEvent =
  /** Connected (first time or again); what was missed follows as a `snapshot` or as `change`s. */
  | { type: 'open' }
  /** The whole ruleset, when the server cannot (or was not asked to) send only what changed. */
  | { type: 'snapshot'; id: string | undefined; ruleset: Ruleset }
  /** What changed in one committed transaction. */
  | { type: 'change'; id: string | undefined; change: RulesetChange }
  /** The connection failed or ended; the next attempt is made after `retryInMs`. */
  | { type: 'disconnected'; error: Error; retryInMs: number };

/** One stream message as an event; the payloads are checked against the core contracts. */
function toEvent(message: EventSourceMessage): FlagStreamEvent | undefined {
  if (message.event === 'snapshot') {
    return { type: 'snapshot', id: message.id, ruleset: rulesetSchema.parse(JSON.parse(message.data)) };
  }
  if (message.event === 'change') {
    return { type: 'change', id: message.id, change: rulesetChangeSchema.parse(JSON.parse(message.data)) };
  }
  return undefined;
}

/** GET /api/client/stream, followed across reconnects (see FlaglineClient.stream). */
export async function* streamFlagChanges(
  api: Client<paths>,
  options: FlagStreamOptions = {},
): AsyncGenerator<FlagStreamEvent> {
  const { signal } = options;
  const backoff = new Backoff(options.backoff);
  let lastEventId = options.lastEventId;
  while (!signal?.aborted) {
    let failure: Error;
    try {
      const outcome = await api.GET('/api/client/stream', {
        params: { query: { environment: options.environment } },
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        parseAs: 'stream',
        cache: 'no-store',
        ...(signal ? { signal } : {}),
      });
      if (outcome.error !== undefined) throw FlaglineApiError.fromAnswer(outcome.response.status, outcome.error);
      if (!outcome.data) throw new Error('The stream answered without a body.');
      backoff.reset();
      yield { type: 'open' };
      const reader = outcome.data.getReader();
      // Aborting must end a pending read even where a fetch implementation does not error the body on abort.
      const stop = () => void reader.cancel().catch(() => {});
      signal?.addEventListener('abort', stop);
      if (signal?.aborted) stop();
      const decoder = new TextDecoder();
      const messages: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (message) => messages.push(message) });
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          parser.feed(decoder.decode(read.value, { stream: true }));
          for (const message of messages.splice(0)) {
            const event = toEvent(message);
            if (message.id !== undefined) lastEventId = message.id;
            if (event) yield event;
          }
        }
      } finally {
        signal?.removeEventListener('abort', stop);
        // Closes the connection when the consumer stops early (break, return) as well as on errors; not awaited, as
        // nothing depends on when the connection is gone.
        stop();
      }
      failure = new Error('The stream ended.');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (signal?.aborted) return;
    const retryInMs = backoff.next();
    yield { type: 'disconnected', error: failure, retryInMs };
    await sleep(retryInMs, signal);
  }
}
