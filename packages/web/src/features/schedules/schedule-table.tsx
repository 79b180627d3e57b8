import type { Schedule, ScheduleStatus } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { scheduleQueries } from '../../api/schedules';
import { DataTable } from '../../components/data-table';
import { Badge, ConfirmDialog } from '../../components/ui';
import { idLabel, useTokenNames } from '../../lib/actors';
import { formatAgo, formatLocal, formatRelative, formatUtc, useNow } from '../../lib/time';
import { useSession } from '../session/session';
import { describeSeries } from './describe-recurrence';
import { describeUpdates } from './describe-updates';

const statusTone: Record<ScheduleStatus, string> = {
  pending: 'info',
  applied: 'success',
  failed: 'danger',
  cancelled: 'neutral',
  completed: 'success',
  paused: 'warning',
  skipped: 'neutral',
};

/** Pending, applied, failed and cancelled schedules with their retry details; pending ones can be cancelled. */
export function ScheduleTable({ schedules, showFlag }: { schedules: Schedule[]; showFlag: boolean }) {
  const { client, canWrite } = useSession();
  const names = useTokenNames();
  const now = useNow(1000);
  const queryClient = useQueryClient();
  const [cancelling, setCancelling] = useState<Schedule | null>(null);
  const cancel = useMutation({
    mutationFn: (schedule: Schedule) => client.cancelSchedule(schedule.flagKey, schedule.id),
    onSuccess: () => setCancelling(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: scheduleQueries.all() }),
  });
  const by = (id: string | null) => idLabel(id, names);
  return (
    <>
      <DataTable columns={[...(showFlag ? ['Flag'] : []), 'When', 'Change', 'Status', 'Created by']} actions={canWrite}>
        {schedules.map((schedule) => (
          <tr key={schedule.id} data-schedule={schedule.id} data-status={schedule.status}>
            {showFlag ? (
              <td data-label="Flag">
                <Link to="/flags/$flagKey" params={{ flagKey: schedule.flagKey }} hash="schedules" className="flag-key">
                  {schedule.flagKey}
                </Link>
                {schedule.environment ? <div className="muted small">{schedule.environment}</div> : null}
              </td>
            ) : null}
            <td data-label="When">
              <time dateTime={schedule.scheduledAt}>{formatLocal(schedule.scheduledAt)}</time>
              <div className="muted small">
                {formatUtc(schedule.scheduledAt)} · {formatRelative(schedule.scheduledAt, now)}
              </div>
              {describeSeries(schedule) ? (
                <div className="small" data-testid="series">
                  {describeSeries(schedule)}
                </div>
              ) : null}
            </td>
            <td data-label="Change">{describeUpdates(schedule.updates)}</td>
            <td data-label="Status">
              <Badge tone={statusTone[schedule.status]}>{schedule.status}</Badge>
              <ScheduleDetails schedule={schedule} now={now} by={by} />
            </td>
            <td data-label="Created by">{by(schedule.createdBy)}</td>
            {canWrite ? (
              <td data-label="Actions">
                {schedule.status === 'pending' ? (
                  <button
                    type="button"
                    className="button button-small button-danger-outline"
                    onClick={() => {
                      cancel.reset();
                      setCancelling(schedule);
                    }}
                    aria-label={`Cancel the ${describeUpdates(schedule.updates)} change to ${schedule.flagKey} at ${formatLocal(schedule.scheduledAt)}`}
                  >
                    Cancel…
                  </button>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
      <ConfirmDialog
        open={cancelling !== null}
        title="Cancel this scheduled change?"
        confirmLabel="Cancel the change"
        tone="danger"
        busy={cancel.isPending}
        error={cancel.error}
        onCancel={() => {
          setCancelling(null);
          cancel.reset();
        }}
        onConfirm={() => cancelling && cancel.mutate(cancelling)}
      >
        {cancelling ? (
          <p>
            “{describeUpdates(cancelling.updates)}” on <strong>{cancelling.flagKey}</strong> ({cancelling.environment})
            at {formatLocal(cancelling.scheduledAt)} will not happen. This is recorded in the audit trail.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

function ScheduleDetails({ schedule, now, by }: { schedule: Schedule; now: number; by(id: string | null): string }) {
  if (schedule.status === 'applied' && schedule.appliedAt) {
    return <div className="muted small">applied {formatAgo(schedule.appliedAt, now)}</div>;
  }
  if (schedule.status === 'cancelled') {
    return (
      <div className="muted small">
        by {by(schedule.cancelledBy)}
        {schedule.cancelledAt ? `, ${formatAgo(schedule.cancelledAt, now)}` : ''}
      </div>
    );
  }
  if (schedule.status === 'failed') {
    return (
      <div className="small error-text">
        {schedule.errorMessage ?? 'failed'} (after {schedule.retryCount} retr{schedule.retryCount === 1 ? 'y' : 'ies'})
      </div>
    );
  }
  if (schedule.retryCount > 0) {
    return (
      <div className="small warning-text">
        retry {schedule.retryCount} of {schedule.maxRetries}
        {schedule.nextRetryAt ? `, next attempt ${formatRelative(schedule.nextRetryAt, now)}` : ''}
        {schedule.lastError ? <div>last error: {schedule.lastError}</div> : null}
      </div>
    );
  }
  return <div className="muted small">up to {schedule.maxRetries} retries</div>;
}
