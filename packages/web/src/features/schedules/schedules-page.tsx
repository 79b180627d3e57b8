import { useQuery } from '@tanstack/react-query';
import { scheduleQueries } from '../../api/schedules';
import { EnvironmentBadge } from '../../components/environment-badge';
import { QueryState } from '../../components/query-state';
import { Empty, PageHeader } from '../../components/ui';
import { localTimeZone } from '../../lib/time';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { ScheduleTable } from './schedule-table';

export function SchedulesPage() {
  const session = useSession();
  useDocumentTitle('Schedules');
  const pending = useQuery(scheduleQueries.pending(session));
  return (
    <>
      <PageHeader title="Upcoming schedules">
        <span className="muted">
          in <EnvironmentBadge environment={session.environment} />
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
        <QueryState
          query={pending}
          loading="Loading schedules…"
          errorTitle="Could not load the schedules"
          isEmpty={(items) => items.length === 0}
          empty={
            <Empty>
              <p>Nothing is scheduled in {session.environment}. Schedule changes from a flag’s page.</p>
            </Empty>
          }
        >
          {(items) => <ScheduleTable schedules={items} showFlag />}
        </QueryState>
      </section>
    </>
  );
}
