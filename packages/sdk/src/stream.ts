import { type Ruleset, type RulesetChange, rulesetChangeSchema, rulesetSchema } from '@flagline/core';
import { type EventSourceMessage, EventSourceParserStream } from 'eventsource-parser/stream';
import type { Client } from 'openapi-fetch';
import type { paths } from './api-types';
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
      const reader = outcome.data
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream())
        .getReader();
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          const event = toEvent(read.value);
          if (!event) continue;
          if (read.value.id !== undefined) lastEventId = read.value.id;
          yield event;
        }
      } finally {
        // Closes the connection when the consumer stops early (break, return) as well as on errors. Not awaited: a
        // cancel racing an abort that is still erroring the piped streams may never settle, and nothing waits on it.
        reader.cancel().catch(() => {});
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
