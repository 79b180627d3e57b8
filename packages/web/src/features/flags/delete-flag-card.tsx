import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useId, useState } from 'react';
import { flagQueries } from '../../api/flags';
import { ConfirmDialog } from '../../components/ui';
import { useSession } from '../session/session';

/** Deletes the flag everywhere once its key is typed again (admins only). */
export function DeleteFlagCard({ flagKey }: { flagKey: string }) {
  const { client, canWrite } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const confirmId = useId();
  const remove = useMutation({
    mutationFn: () => client.deleteFlag(flagKey),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: flagQueries.all() });
      void navigate({ to: '/' });
    },
  });
  if (!canWrite) return null;
  return (
    <section className="card danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete this flag</h2>
      <p className="muted">
        Removes the flag from every environment and cancels its pending schedules. The audit trail keeps its history.
      </p>
      <button
        type="button"
        className="button button-danger-outline"
        onClick={() => {
          setTyped('');
          remove.reset();
          setOpen(true);
        }}
      >
        Delete flag…
      </button>
      <ConfirmDialog
        open={open}
        title={`Delete “${flagKey}” everywhere?`}
        confirmLabel="Delete flag"
        tone="danger"
        busy={remove.isPending}
        error={remove.error}
        confirmDisabled={typed !== flagKey}
        onCancel={() => setOpen(false)}
        onConfirm={() => remove.mutate()}
      >
        <label htmlFor={confirmId}>
          Type <code>{flagKey}</code> to confirm
        </label>
        <input id={confirmId} value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" />
      </ConfirmDialog>
    </section>
  );
}
