import type { FlagView, Schedule, ScheduleStatus } from '@flagline/core';
import { useState } from 'react';
import { QueryState } from '../../components/query-state';
import { Empty } from '../../components/ui';
import { ScheduleTable } from '../schedules/schedule-table';
import { useSession } from '../session/session';
import { CreateScheduleForm } from './create-schedule-form';

const STATUSES: { value: ScheduleStatus | 'all'; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'applied', label: 'Applied' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'all', label: 'All' },
];

/** The flag's schedules in the environment, by status, with the form that schedules a change (admins). */
export function SchedulesCard({
  flag,
  schedules,
}: {
  flag: FlagView;
  schedules: { data: Schedule[] | undefined; isPending: boolean; isError: boolean; error: unknown };
}) {
  const { canWrite } = useSession();
  const [status, setStatus] = useState<ScheduleStatus | 'all'>('pending');
  const items = schedules.data ?? [];
  const shown = status === 'all' ? items : items.filter((schedule) => schedule.status === status);
  const count = (value: ScheduleStatus | 'all') =>
    value === 'all' ? items.length : items.filter((schedule) => schedule.status === value).length;
  return (
    <section className="card" id="schedules" aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Scheduled changes</h2>
      {canWrite ? <CreateScheduleForm flag={flag} /> : null}
      <fieldset className="segmented">
        <legend className="visually-hidden">Show schedules by status</legend>
        {STATUSES.map((option) => (
          <button
            key={option.value}
            type="button"
            aria-pressed={status === option.value}
            onClick={() => setStatus(option.value)}
          >
            {option.label} <span className="count">{count(option.value)}</span>
          </button>
        ))}
      </fieldset>
      <QueryState
        query={schedules}
        loading="Loading schedules…"
        errorTitle="Could not load the schedules"
        isEmpty={() => shown.length === 0}
        empty={
          <Empty>
            <p>{status === 'all' ? 'Nothing scheduled for this flag yet.' : `No ${status} schedules.`}</p>
          </Empty>
        }
      >
        {() => <ScheduleTable schedules={shown} showFlag={false} />}
      </QueryState>
    </section>
  );
}
