import type { RulesetChange } from '@flagline/core';
import type { Context } from 'hono';
import { type SSEMessage, streamSSE } from 'hono/streaming';
import type { AppEnv } from '../http/context';
import { sseConnections } from '../shared/metrics';
import type { ChangeHub } from './change-hub';
import type { StreamEndReason, StreamRegistry } from './stream-registry';

/** The reconnection delay a stream asks for (SSE `retry:`), sent with its first event. */
export const STREAM_RECONNECT_MS = 1000;

export interface StreamSettings {
  heartbeatMs: number;
  /** Events waiting for a reader before it is dropped. */
  maxQueued: number;
}

export interface StreamContent {
  /** What a new connection receives first; the first of them carries the `retry:` hint. */
  opening(): SSEMessage[];
  /** The event for one change in the environment. */
  change(change: RulesetChange): SSEMessage;
  /** When set, sent whenever tokens were created or revoked (see ChangeHub.subscribeCredentials). */
  credentials?: SSEMessage;
}

/** The node:http response behind a request, when served by @hono/node-server (its bindings carry it). */
function nodeResponse(env: unknown): { destroy(): void } | undefined {
  if (typeof env !== 'object' || env === null || !('outgoing' in env)) return undefined;
  const { outgoing } = env as { outgoing: unknown };
  return typeof outgoing === 'object' &&
    outgoing !== null &&
    'destroy' in outgoing &&
    typeof outgoing.destroy === 'function'
    ? (outgoing as { destroy(): void })
    : undefined;
}

/**
 * An SSE stream of one environment's changes that ends when access ends (see StreamRegistry), with heartbeats while
 * idle and a bounded queue: a reader that falls `maxQueued` events behind is dropped, not buffered without end.
 */
export function changeStream(
  c: Context<AppEnv>,
  hub: ChangeHub,
  streams: StreamRegistry,
  environment: string,
  settings: StreamSettings,
  content: StreamContent,
): Response {
  let end: (reason: StreamEndReason) => void = () => undefined;
  // Taken before the response starts, so a credential over its cap gets a 429 rather than an empty stream.
  const lease = streams.open(c.get('principal'), (reason) => end(reason), c.req.header('authorization'));
  return streamSSE(c, async (stream) => {
    // Each event is rendered when it is written, not when it is queued.
    const queue: (() => SSEMessage)[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    end = (reason) => {
      closed = true;
      wake?.();
      // Aborting ends the response even while a write waits on a reader that stopped reading.
      stream.abort();
      // A reader that stopped reading never drains what is already in the socket's buffers: cut the connection.
      if (reason === 'slow_reader') nodeResponse(c.env)?.destroy();
    };
    const enqueue = (event: () => SSEMessage) => {
      queue.push(event);
      // Past the bound the reader is not keeping up: drop it (it reconnects with Last-Event-ID) rather than hold
      // every change for it in memory.
      if (queue.length > settings.maxQueued) lease.end('slow_reader');
      wake?.();
    };
    const unsubscribe = hub.subscribe(environment, (change) => enqueue(() => content.change(change)));
    const { credentials } = content;
    const unsubscribeCredentials = credentials
      ? hub.subscribeCredentials(() => enqueue(() => credentials))
      : () => undefined;
    sseConnections.inc();
    stream.onAbort(() => {
      closed = true;
      wake?.();
    });
    try {
      for (const [index, message] of content.opening().entries()) {
        await stream.writeSSE(index === 0 ? { ...message, retry: STREAM_RECONNECT_MS } : message);
      }
      while (!closed) {
        const next = queue.shift();
        if (next !== undefined) {
          await stream.writeSSE(next());
          continue;
        }
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), settings.heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (timedOut && !closed) await stream.write(': heartbeat\n\n');
      }
    } finally {
      sseConnections.dec();
      unsubscribe();
      unsubscribeCredentials();
      lease.release();
    }
  });
}
