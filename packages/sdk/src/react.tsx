import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { FlaglineClient } from './client';
import { readServerSentEvents } from './sse';

interface FlagState {
  flags: Record<string, boolean>;
  loading: boolean;
  error: Error | undefined;
}

const FlagContext = createContext<FlagState>({ flags: {}, loading: true, error: undefined });

export interface FlaglineProviderProps {
  /** Flagline's base URL. */
  url: string;
  /** A client token for the environment. */
  token: string;
  /** The signed-in user: flags are evaluated for them by the server. */
  userId?: string;
  children?: ReactNode;
  fetch?: typeof fetch;
}

/**
 * Evaluates every flag for the user (GET /api/config/flags) and re-evaluates whenever the live stream reports a
 * change, so components update without a reload. As in the origin, a flag reads false until it has loaded.
 */
export function FlaglineProvider({ url, token, userId, children, fetch: fetchImpl }: FlaglineProviderProps) {
  const [state, setState] = useState<FlagState>({ flags: {}, loading: true, error: undefined });

  useEffect(() => {
    const client = new FlaglineClient({ url, token, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    const abort = new AbortController();
    let active = true;
    const load = async () => {
      try {
        const flags = await client.evaluateAll(userId);
        if (active) setState({ flags, loading: false, error: undefined });
      } catch (error) {
        if (active) setState((previous) => ({ ...previous, loading: false, error: error as Error }));
      }
    };
    const follow = async () => {
      let delay = 500;
      while (active) {
        try {
          const response = await (fetchImpl ?? fetch)(`${url.replace(/\/+$/, '')}/api/client/stream`, {
            headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
            signal: abort.signal,
          });
          if (!response.ok || !response.body) throw new Error(`stream answered HTTP ${response.status}`);
          delay = 500;
          for await (const event of readServerSentEvents(response.body)) {
            // The snapshot on connect covers a change made between the first load and the stream connecting.
            if (event.event === 'change' || event.event === 'snapshot') await load();
          }
        } catch {
          if (!active) return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(30_000, delay * 2);
        await load();
      }
    };
    void load().then(() => follow());
    return () => {
      active = false;
      abort.abort();
    };
  }, [url, token, userId, fetchImpl]);

  return <FlagContext.Provider value={state}>{children}</FlagContext.Provider>;
}

/** Whether the flag is on for the current user: false while loading, if unknown, or on error. */
export function useFlag(key: string): boolean {
  return useContext(FlagContext).flags[key] ?? false;
}

/** Every flag plus loading and error state, for components that want to show them. */
export function useFlags(): FlagState {
  return useContext(FlagContext);
}
