import { Link, Outlet, useLocation } from '@tanstack/react-router';
import { useEffect, useRef } from 'react';
import { actorLabel, useTokenNames } from '../../lib/actors';
import { type LiveStatus, useLiveUpdates } from '../../lib/live';
import { useSession } from '../session/session';

const NAV = [
  { to: '/', label: 'Flags', activeWhen: (pathname: string) => pathname === '/' || pathname.startsWith('/flags') },
  { to: '/schedules', label: 'Schedules' },
  { to: '/segments', label: 'Segments' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/audit', label: 'Audit' },
  { to: '/tokens', label: 'Tokens' },
  { to: '/webhooks', label: 'Webhooks' },
] as const;

const LIVE_LABEL: Record<LiveStatus, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
};

/** The signed-in frame around every page: the top bar, the main navigation and the page itself. */
export function Shell() {
  const session = useSession();
  const pathname = useLocation({ select: (location) => location.pathname });
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

  const production = session.environment === 'production';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className={`topbar ${production ? 'topbar-production' : ''}`}>
        <div className="topbar-row">
          <Link to="/" className="brand" activeProps={{}} activeOptions={{ exact: true }}>
            <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
              <path d="M3 1v14" stroke="currentColor" strokeWidth="2" />
              <path d="M4 2h9l-2 3 2 3H4z" fill="currentColor" />
            </svg>
            Flagline
          </Link>
          <div className="topbar-tools">
            <EnvironmentSwitcher />
            <span className={`live live-${live}`} role="status" title="Live updates from the server">
              <span className="live-dot" aria-hidden="true" />
              {LIVE_LABEL[live]}
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
                <Link
                  to={item.to}
                  activeProps={{}}
                  aria-current={'activeWhen' in item && item.activeWhen(pathname) ? 'page' : undefined}
                >
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
        <Outlet />
      </main>
    </>
  );
}

function EnvironmentSwitcher() {
  const session = useSession();
  return (
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
  );
}
