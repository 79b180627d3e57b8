import type { Environment, PrincipalView } from '@flagline/core';
import type { FlaglineClient } from '@flagline/sdk';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { createClient } from '../../api/client';
import { sessionQueries } from '../../api/session';

const TOKEN_KEY = 'flagline.token';
const ENVIRONMENT_KEY = 'flagline.environment';

function readStorage(key: string): string | null {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key: string, value: string | null): void {
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // Storage can be unavailable (private mode quotas); the session then lasts as long as the page.
  }
}

export interface Session {
  token: string;
  client: FlaglineClient;
  me: PrincipalView;
  /** Admins write; viewers only read (the server enforces it too). */
  canWrite: boolean;
  environment: string;
  environments: Environment[];
  setEnvironment(key: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The token lives in sessionStorage: it survives a reload, not the closing of the tab. */
export function useStoredToken() {
  const [token, setToken] = useState<string | null>(() => readStorage(TOKEN_KEY));
  const queryClient = useQueryClient();
  const signIn = useCallback(
    (value: string, me: PrincipalView) => {
      writeStorage(TOKEN_KEY, value);
      queryClient.setQueryData(sessionQueries.me(value).queryKey, me);
      setToken(value);
    },
    [queryClient],
  );
  const signOut = useCallback(() => {
    writeStorage(TOKEN_KEY, null);
    setToken(null);
    queryClient.clear();
  }, [queryClient]);
  return { token, signIn, signOut };
}

export function SessionProvider({
  token,
  me,
  signOut,
  children,
}: {
  token: string;
  me: PrincipalView;
  signOut(): void;
  children: ReactNode;
}) {
  const client = useMemo(() => createClient(token), [token]);
  const [chosen, setChosen] = useState<string | null>(() => readStorage(ENVIRONMENT_KEY));
  const environments = useQuery(sessionQueries.environments({ client }));
  const items = environments.data ?? [];
  const fallback = items.some((item) => item.key === 'production') ? 'production' : (items[0]?.key ?? 'production');
  const environment = chosen && (items.length === 0 || items.some((item) => item.key === chosen)) ? chosen : fallback;
  useEffect(() => {
    if (environment) document.documentElement.dataset.environment = environment;
  }, [environment]);
  const setEnvironment = useCallback((key: string) => {
    writeStorage(ENVIRONMENT_KEY, key);
    setChosen(key);
  }, []);
  const value = useMemo<Session>(
    () => ({
      token,
      client,
      me,
      canWrite: me.role === 'admin',
      environment,
      environments: items,
      setEnvironment,
      signOut,
    }),
    [token, client, me, environment, items, setEnvironment, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
