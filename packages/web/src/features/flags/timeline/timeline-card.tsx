import type { FlagView, Schedule } from '@flagline/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { flagQueries } from '../../../api/flags';
import { QueryState } from '../../../components/query-state';
import { actorLabel, useTokenNames } from '../../../lib/actors';
import { useNow } from '../../../lib/time';
import { useSession } from '../../session/session';
import { buildTimeline } from './build-timeline';
import { PlanBuilder } from './plan-builder';
import { drawableSteps, type PlanStepDraft } from './plan-draft';
import { PlansList } from './plans-list';
import { Timeline } from './timeline-chart';

/**
 * The flag's rollout over time: its history from the server, then its pending schedules ahead, and the steps of a plan
 * being built (admins), drawn before it is saved.
 */
export function TimelineCard({ flag, schedules }: { flag: FlagView; schedules: Schedule[] }) {
  const session = useSession();
  const names = useTokenNames();
  const now = useNow(1000);
  const history = useQuery(flagQueries.history(session, flag.key));
  const [steps, setSteps] = useState<PlanStepDraft[]>([]);
  const pending = useMemo(() => schedules.filter((schedule) => schedule.status === 'pending'), [schedules]);
  const planned = useMemo(() => drawableSteps(steps), [steps]);
  const timeline = useMemo(
    () => buildTimeline(history.data ?? [], pending, flag, (event) => actorLabel(event.actor, names), planned),
    [history.data, pending, flag, names, planned],
  );
  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <QueryState query={history} loading="Loading the history…" errorTitle="Could not load the history">
        {() => <Timeline past={timeline.past} future={timeline.future} now={now} />}
      </QueryState>
      {session.canWrite ? <PlanBuilder flag={flag} steps={steps} onStepsChange={setSteps} /> : null}
      <PlansList flagKey={flag.key} />
    </section>
  );
}
