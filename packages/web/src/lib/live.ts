import { followChangeNotices } from '@flagline/sdk/web';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/**
 * Follows the environment's change notices with the same client browsers use through `@flagline/sdk/web` (it reads
 * GET /api/config/stream and reconnects with backoff) and refetches what is on screen whenever a change commits
 * anywhere: another admin's edit, or a schedule the worker applied. Notices carry no configuration, so the page never
 * downloads the ruleset just to learn that something changed. A reconnect does not replay what was missed, so the
 * `ready` after one refetches too.
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
      const notices = followChangeNotices({
        url: window.location.origin,
        token,
        environment,
        signal: abort.signal,
        backoff: { maxMs: 15_000 },
      });
      for await (const notice of notices) {
        if (notice.type === 'disconnected') {
          setStatus('reconnecting');
          continue;
        }
        if (notice.type === 'ready') setStatus('live');
        if (notice.type === 'change' || connectedBefore) refresh();
        connectedBefore = true;
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
