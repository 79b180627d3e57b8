import { ErrorMessage } from '../../components/ui';

/** Whether the trail's hash chain still verifies (re-checked when a newer event appears). */
export function ChainState({
  verify,
}: {
  verify: {
    data?: { ok: boolean; checked: number; firstBrokenId: string | null } | undefined;
    isError: boolean;
    error: unknown;
  };
}) {
  if (verify.isError) return <ErrorMessage error={verify.error} title="Chain check failed" />;
  if (!verify.data) return <span className="muted">Verifying the hash chain…</span>;
  return verify.data.ok ? (
    <span className="chain chain-ok" role="status">
      <span aria-hidden="true">✔</span> Hash chain intact · {verify.data.checked} events verified
    </span>
  ) : (
    <span className="chain chain-broken" role="alert">
      <span aria-hidden="true">✖</span> Hash chain broken at event #{verify.data.firstBrokenId} ({verify.data.checked}{' '}
      checked): the trail was altered
    </span>
  );
}
