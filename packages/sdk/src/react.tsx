import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { FlaglineClient } from './client';

interface FlagState {
  flags: Record<string, boolean>;
  loading: boolean;
  error: Error | undefined;
}

/** The flags of the nearest FlaglineReactProvider (exported for tests and custom hooks; most code wants useFlag). */
export const FlaglineContext = createContext<FlagState>({ flags: {}, loading: true, error: undefined });

export interface FlaglineReactProviderProps {
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
 * (Not to be confused with the OpenFeature provider, `@flagline/sdk/openfeature`'s FlaglineProvider.)
 */
export function FlaglineReactProvider({ url, token, userId, children, fetch: fetchImpl }: FlaglineReactProviderProps) {
  const [state, setState] = useState<FlagState>({ flags: {}, loading: true, error: undefined });

  useEffect(() => {
    const client = new FlaglineClient({ url, token, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    const abort = new AbortController();
    const load = async () => {
      try {
        const flags = await client.evaluateAll(userId);
        if (!abort.signal.aborted) setState({ flags, loading: false, error: undefined });
      } catch (error) {
        if (!abort.signal.aborted) {
          setState((previous) => ({
            ...previous,
            loading: false,
            error: error instanceof Error ? error : new Error(String(error)),
          }));
        }
      }
    };
    const follow = async () => {
      for await (const event of client.stream({ signal: abort.signal })) {
        // The snapshot on connect covers a change made between the first load and the stream connecting (and
        // whatever was missed while disconnected).
        if (event.type === 'change' || event.type === 'snapshot') await load();
      }
    };
    void load().then(follow);
    return () => abort.abort();
  }, [url, token, userId, fetchImpl]);

  return <FlaglineContext.Provider value={state}>{children}</FlaglineContext.Provider>;
}

/** @deprecated Renamed FlaglineReactProvider, so it is not confused with the OpenFeature provider of the same name. */
export const FlaglineProvider = FlaglineReactProvider;
/** @deprecated Renamed FlaglineReactProviderProps. */
export type FlaglineProviderProps = FlaglineReactProviderProps;

/** Whether the flag is on for the current user: false while loading, if unknown, or on error. */
export function useFlag(key: string): boolean {
  return useContext(FlaglineContext).flags[key] ?? false;
}

/** Every flag plus loading and error state, for components that want to show them. */
export function useFlags(): FlagState {
  return useContext(FlaglineContext);
}
