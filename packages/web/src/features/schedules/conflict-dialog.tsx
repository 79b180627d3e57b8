import type { Conflict } from '@flagline/core';
import { ConfirmDialog } from '../../components/ui';
import { formatLocal, formatUtc } from '../../lib/time';

function describeConflict(conflict: Conflict): string {
  const fields = conflict.fields.join(', ');
  const what = conflict.planId ? 'A step of a rollout plan' : 'A pending schedule';
  const when = `${formatLocal(conflict.scheduledAt)} (${formatUtc(conflict.scheduledAt)})`;
  return conflict.kind === 'overwrites-manual-change'
    ? `${what} at ${when} will overwrite ${fields}.`
    : `${what} at ${when} also sets ${fields}.`;
}

/**
 * The server refused a change because it collides with pending schedules (409 SCHEDULE_CONFLICT, asked for with
 * onConflict=reject): lists them and lets the user go ahead anyway, which re-sends the change without `reject`.
 */
export function ConflictDialog({
  conflicts,
  subject,
  busy,
  onConfirm,
  onCancel,
}: {
  /** Undefined while there is nothing to confirm. */
  conflicts: Conflict[] | undefined;
  /** What is being created: "This schedule", "This plan". */
  subject: string;
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <ConfirmDialog
      open={conflicts !== undefined}
      title="Conflicts with pending changes"
      confirmLabel="Create anyway"
      busy={busy}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <p>{subject} changes the same settings of this flag as:</p>
      <ul data-testid="conflicts">
        {(conflicts ?? []).map((conflict) => (
          <li key={`${conflict.kind}-${conflict.scheduleId}`}>{describeConflict(conflict)}</li>
        ))}
      </ul>
      <p className="muted small">Whichever applies last wins. Nothing has been created yet.</p>
    </ConfirmDialog>
  );
}
