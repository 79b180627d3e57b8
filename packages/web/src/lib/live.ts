import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { createClient } from '../api/client';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/**
 * Follows the environment's live change stream (the SDK's stream client, which reconnects with backoff) and refetches
 * what is on screen whenever a change commits anywhere: another admin's edit, or a schedule the worker applied. After
 * a reconnect a snapshot means missed changes could not be replayed one by one, so it refetches then too.
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
      let connectedBefore = false;
      const events = createClient(token).stream({ environment, signal: abort.signal, backoff: { maxMs: 15_000 } });
      for await (const event of events) {
        if (event.type === 'open') setStatus('live');
        else if (event.type === 'disconnected') setStatus('reconnecting');
        else if (event.type === 'change' || connectedBefore) refresh();
        if (event.type !== 'open') connectedBefore = true;
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
