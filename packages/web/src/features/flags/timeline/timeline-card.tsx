import type { FlagView, Schedule } from '@flagline/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { flagQueries } from '../../../api/flags';
import { QueryState } from '../../../components/query-state';
import { actorLabel, useTokenNames } from '../../../lib/actors';
import { useNow } from '../../../lib/time';
import { useSession } from '../../session/session';
import { buildTimeline } from './build-timeline';
import { Timeline } from './timeline-chart';

/** The flag's rollout over time: its history from the server, then its pending schedules ahead. */
export function TimelineCard({ flag, schedules }: { flag: FlagView; schedules: Schedule[] }) {
  const session = useSession();
  const names = useTokenNames();
  const now = useNow(1000);
  const history = useQuery(flagQueries.history(session, flag.key));
  const pending = useMemo(() => schedules.filter((schedule) => schedule.status === 'pending'), [schedules]);
  const timeline = useMemo(
    () => buildTimeline(history.data ?? [], pending, flag, (event) => actorLabel(event.actor, names)),
    [history.data, pending, flag, names],
  );
  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <QueryState query={history} loading="Loading the history…" errorTitle="Could not load the history">
        {() => <Timeline past={timeline.past} future={timeline.future} now={now} />}
      </QueryState>
    </section>
  );
}
