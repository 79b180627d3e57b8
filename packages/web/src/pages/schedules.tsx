import { Badge, Empty, ErrorMessage, Loading, PageHeader } from '../components/ui';
import { usePendingSchedules } from '../lib/queries';
import { useSession } from '../lib/session';
import { localTimeZone } from '../lib/time';
import { ScheduleTable } from './flag';

export function SchedulesPage() {
  const { environment } = useSession();
  const pending = usePendingSchedules();
  return (
    <>
      <PageHeader title="Upcoming schedules">
        <span className="muted">
          in <Badge tone={environment === 'production' ? 'danger' : 'info'}>{environment}</Badge>
        </span>
      </PageHeader>
      <section className="card" aria-labelledby="upcoming-heading">
        <h2 id="upcoming-heading" className="visually-hidden">
          Pending changes, soonest first
        </h2>
        <p className="muted small">
          Every pending change across flags, soonest first. Times are shown in {localTimeZone()} and in UTC. Failed
          attempts waiting for a retry stay here with their error.
        </p>
        {pending.isPending ? (
          <Loading label="Loading schedules…" />
        ) : pending.isError ? (
          <ErrorMessage error={pending.error} title="Could not load the schedules" />
        ) : pending.data.length === 0 ? (
          <Empty>
            <p>Nothing is scheduled in {environment}. Schedule changes from a flag’s page.</p>
          </Empty>
        ) : (
          <ScheduleTable schedules={pending.data} showFlag />
        )}
      </section>
    </>
  );
}
