import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { sessionQueries } from '../../api/session';
import { ErrorMessage, Loading } from '../../components/ui';
import { describeError, isApiError } from '../../lib/errors';
import { Shell } from '../shell/shell';
import { SessionProvider, useStoredToken } from './session';
import { SignInPage } from './sign-in-page';

/** The root of every route: the sign-in form until a token works, then the shell around the page. */
export function App() {
  const { token, signIn, signOut } = useStoredToken();
  const [signedOutReason, setSignedOutReason] = useState<string | undefined>();
  const me = useQuery({ ...sessionQueries.me(token ?? ''), enabled: token !== null });
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
