import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Badge, ErrorMessage } from '../../components/ui';
import { useSession } from '../session/session';

/**
 * Protection of the environment being viewed: protecting takes effect at once; removing it is itself a change
 * request another admin approves (it then shows in the list below).
 */
export function ProtectionCard() {
  const { client, canWrite, environment, environments } = useSession();
  const queryClient = useQueryClient();
  const isProtected = environments.find((item) => item.key === environment)?.protected === true;
  const toggle = useMutation({
    mutationFn: () => client.updateEnvironment(environment, { protected: !isProtected }),
    onSettled: () => queryClient.invalidateQueries(),
  });
  return (
    <section className="card" aria-labelledby="protection-heading">
      <h2 id="protection-heading">
        Protection of {environment}{' '}
        {isProtected ? <Badge tone="warning">protected</Badge> : <Badge tone="neutral">not protected</Badge>}
      </h2>
      <p className="muted small">
        In a protected environment every change — a flag&apos;s state or targeting, an override, a schedule — waits here
        until someone other than its requester approves it.
      </p>
      <ErrorMessage error={toggle.error} />
      {canWrite ? (
        <button
          type="button"
          className="button button-small"
          disabled={toggle.isPending}
          onClick={() => toggle.mutate()}
        >
          {isProtected ? 'Request to remove protection' : `Protect ${environment}`}
        </button>
      ) : null}
    </section>
  );
}
