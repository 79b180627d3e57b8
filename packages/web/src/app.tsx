import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ErrorMessage, Loading } from './components/ui';
import { describeError, isApiError } from './lib/errors';
import { useLiveUpdates } from './lib/live';
import { actorLabel, useTokenNames } from './lib/queries';
import { Link, usePathname } from './lib/router';
import { createClient, SessionProvider, useSession, useStoredToken } from './lib/session';
import { AuditPage } from './pages/audit';
import { FlagPage } from './pages/flag';
import { FlagsPage } from './pages/flags';
import { SchedulesPage } from './pages/schedules';
import { SignInPage } from './pages/sign-in';
import { TokensPage } from './pages/tokens';
import { WebhooksPage } from './pages/webhooks';

export function App() {
  const { token, signIn, signOut } = useStoredToken();
  const [signedOutReason, setSignedOutReason] = useState<string | undefined>();
  const me = useQuery({
    queryKey: ['me', token],
    queryFn: () => createClient(token ?? '').me(),
    enabled: token !== null,
    staleTime: 5 * 60_000,
    retry: (count, error) => count < 2 && !isApiError(error, 'UNAUTHORIZED') && !isApiError(error, 'FORBIDDEN'),
  });
  const rejected = me.isError && (isApiError(me.error, 'UNAUTHORIZED') || isApiError(me.error, 'FORBIDDEN'));
  useEffect(() => {
    // A stored token that stopped working (revoked, or the server restarted with another admin token).
    if (rejected) {
      setSignedOutReason(`You were signed out: ${describeError(me.error).message}`);
      signOut();
    }
  }, [rejected, me.error, signOut]);
  if (token === null || rejected) {
    return (
      <SignInPage
        reason={signedOutReason}
        onSignedIn={(value, principal) => {
          setSignedOutReason(undefined);
          signIn(value, principal);
        }}
      />
    );
  }
  if (me.isPending) return <Loading label="Checking your token…" />;
  if (me.isError) {
    return (
      <main className="page narrow">
        <ErrorMessage error={me.error} title="Could not check your token" />
        <button type="button" className="button" onClick={() => void me.refetch()}>
          Try again
        </button>{' '}
        <button type="button" className="button" onClick={signOut}>
          Sign out
        </button>
      </main>
    );
  }
  return (
    <SessionProvider token={token} me={me.data} signOut={signOut}>
      <Shell />
    </SessionProvider>
  );
}

const NAV = [
  { to: '/', label: 'Flags', activeWhen: (pathname: string) => pathname === '/' || pathname.startsWith('/flags') },
  { to: '/schedules', label: 'Schedules', activeWhen: 'prefix' as const },
  { to: '/audit', label: 'Audit', activeWhen: 'prefix' as const },
  { to: '/tokens', label: 'Tokens', activeWhen: 'prefix' as const },
  { to: '/webhooks', label: 'Webhooks', activeWhen: 'prefix' as const },
];

function Shell() {
  const session = useSession();
  const pathname = usePathname();
  const live = useLiveUpdates(session.token, session.environment);
  const tokenNames = useTokenNames();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After an in-app navigation, move focus to the new page's heading so screen readers announce it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every path change by design
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const timer = setTimeout(() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus(), 0);
    return () => clearTimeout(timer);
  }, [pathname]);

  const flagMatch = /^\/flags\/([^/]+)\/?$/.exec(pathname);
  let page: ReactNode;
  let title = 'Flags';
  if (pathname === '/' || pathname === '/flags') page = <FlagsPage />;
  else if (flagMatch?.[1]) {
    const key = decodeURIComponent(flagMatch[1]);
    title = key;
    page = <FlagPage flagKey={key} />;
  } else if (pathname === '/schedules') {
    title = 'Schedules';
    page = <SchedulesPage />;
  } else if (pathname === '/audit') {
    title = 'Audit';
    page = <AuditPage />;
  } else if (pathname === '/tokens') {
    title = 'Tokens';
    page = <TokensPage />;
  } else if (pathname === '/webhooks') {
    title = 'Webhooks';
    page = <WebhooksPage />;
  } else {
    title = 'Not found';
    page = (
      <div className="card">
        <h1 tabIndex={-1}>Page not found</h1>
        <p>
          There is nothing at <code>{pathname}</code>. <Link to="/">Go to the flags</Link>.
        </p>
      </div>
    );
  }
  useEffect(() => {
    document.title = `${title} · ${session.environment} · Flagline`;
  }, [title, session.environment]);

  const production = session.environment === 'production';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className={`topbar ${production ? 'topbar-production' : ''}`}>
        <div className="topbar-row">
          <Link to="/" className="brand">
            <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
              <path d="M3 1v14" stroke="currentColor" strokeWidth="2" />
              <path d="M4 2h9l-2 3 2 3H4z" fill="currentColor" />
            </svg>
            Flagline
          </Link>
          <div className="topbar-tools">
            <div className="env-switcher">
              <label htmlFor="environment-select">Environment</label>
              <select
                id="environment-select"
                value={session.environment}
                onChange={(event) => session.setEnvironment(event.target.value)}
              >
                {session.environments.length === 0 ? (
                  <option value={session.environment}>{session.environment}</option>
                ) : (
                  session.environments.map((environment) => (
                    <option key={environment.key} value={environment.key}>
                      {environment.name && environment.name.toLowerCase() !== environment.key
                        ? `${environment.name} (${environment.key})`
                        : environment.key}
                    </option>
                  ))
                )}
              </select>
            </div>
            <span className={`live live-${live}`} role="status" title="Live updates from the server">
              <span className="live-dot" aria-hidden="true" />
              {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
            </span>
            <span className="identity" title={`Signed in as ${session.me.actor.type} ${session.me.actor.id}`}>
              <span className={`badge badge-${session.me.role === 'admin' ? 'info' : 'neutral'}`}>
                {session.me.role}
              </span>
              <span className="identity-name">{actorLabel(session.me.actor, tokenNames)}</span>
            </span>
            <button type="button" className="button button-small" onClick={session.signOut}>
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.to}>
                <Link to={item.to} activeWhen={item.activeWhen}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {session.canWrite ? null : (
        <div className="readonly-banner" role="note">
          Read-only: you are signed in with a <strong>{session.me.role}</strong> token, so changes are not offered.
        </div>
      )}
      <main id="main" ref={mainRef} className="page" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
