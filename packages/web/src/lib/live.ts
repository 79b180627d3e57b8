import { readServerSentEvents } from '@flagline/sdk';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows the environment's live change stream (SSE) and refetches what is on screen whenever a change commits
 * anywhere: another admin's edit, or a schedule the worker applied. After a reconnect the first snapshot may
 * hide missed changes, so it refetches then too.
 */
export function useLiveUpdates(token: string, environment: string): LiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    const abort = new AbortController();
    let pending: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      // Changes come in bursts (a schedule batch); one refetch covers them all.
      clearTimeout(pending);
      pending = setTimeout(() => {
        void queryClient.invalidateQueries({
          predicate: (query) => query.queryKey[0] !== 'me' && query.queryKey[0] !== 'environments',
        });
      }, 50);
    };
    const run = async () => {
      let attempt = 0;
      let connectedBefore = false;
      while (!abort.signal.aborted) {
        try {
          const response = await fetch(`/api/client/stream?environment=${encodeURIComponent(environment)}`, {
            headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
            signal: abort.signal,
            cache: 'no-store',
          });
          if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
          setStatus('live');
          attempt = 0;
          for await (const event of readServerSentEvents(response.body)) {
            if (event.event === 'change' || (event.event === 'snapshot' && connectedBefore)) refresh();
            connectedBefore = true;
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        connectedBefore = true;
        setStatus('reconnecting');
        await sleep(Math.min(500 * 2 ** attempt, 15_000), abort.signal);
        attempt += 1;
      }
    };
    setStatus('connecting');
    void run();
    return () => {
      clearTimeout(pending);
      abort.abort();
    };
  }, [token, environment, queryClient]);
  return status;
}
