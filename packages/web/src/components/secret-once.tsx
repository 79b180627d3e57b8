import { CopyButton } from './ui';

/** A secret the server returns once: shown with a copy button until the user dismisses it. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone(): void }) {
  return (
    <div className="notice notice-success secret" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it will not be shown again.
      </p>
      <div className="secret-row">
        <input
          className="secret-value"
          readOnly
          value={secret}
          aria-label={label}
          onFocus={(event) => event.target.select()}
          data-testid="secret"
        />
        <CopyButton value={secret} />
      </div>
      <button type="button" className="button button-small" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}
