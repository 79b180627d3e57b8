import type { PrincipalView } from '@flagline/core';
import { useEffect, useState } from 'react';
import { createClient } from '../../api/client';
import { ErrorMessage, Field } from '../../components/ui';

export function SignInPage({
  onSignedIn,
  reason,
}: {
  onSignedIn(token: string, me: PrincipalView): void;
  reason?: string | undefined;
}) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = 'Sign in · Flagline';
  }, []);

  const submit = async () => {
    const value = token.trim();
    if (!value) {
      setError(new Error('Paste a token first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await createClient(value).me();
      onSignedIn(value, me);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <form
        className="card sign-in-card"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <h1>
          <svg viewBox="0 0 16 16" width="24" height="24" aria-hidden="true">
            <path d="M3 1v14" stroke="currentColor" strokeWidth="2" />
            <path d="M4 2h9l-2 3 2 3H4z" fill="var(--accent)" />
          </svg>{' '}
          Sign in to Flagline
        </h1>
        {reason ? (
          <p className="notice notice-warning" role="status">
            {reason}
          </p>
        ) : null}
        <Field
          label="Token"
          hint={
            <>
              An admin or viewer API token (<code>fl_…</code>), <code>FLAGLINE_ADMIN_TOKEN</code>, or an access token
              from your identity provider when the server uses JWT sign-in. It is kept in this tab only
              (sessionStorage).
            </>
          }
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={token}
              onChange={(event) => setToken(event.target.value)}
              required
            />
          )}
        </Field>
        <ErrorMessage error={error} title="Sign-in failed" />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="small muted">
          No token yet? The server prints an admin token on its first start; see also{' '}
          <a href="/docs">the API reference</a>.
        </p>
      </form>
    </main>
  );
}
