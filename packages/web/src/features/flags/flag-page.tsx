import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useEffect } from 'react';
import { flagQueries } from '../../api/flags';
import { scheduleQueries } from '../../api/schedules';
import { EnvironmentBadge } from '../../components/environment-badge';
import { QueryState } from '../../components/query-state';
import { ErrorMessage, PageHeader } from '../../components/ui';
import { isApiError } from '../../lib/errors';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { TargetingCard } from '../targeting/targeting-card';
import { DeleteFlagCard } from './delete-flag-card';
import { OverridesCard } from './overrides-card';
import { SchedulesCard } from './schedules-card';
import { StateCard } from './state-card';
import { TimelineCard } from './timeline/timeline-card';

const route = getRouteApi('/flags/$flagKey');

/** One flag in the current environment: its state, timeline, variants and targeting, schedules and overrides. */
export function FlagPage() {
  const { flagKey } = route.useParams();
  const session = useSession();
  useDocumentTitle(flagKey);
  const flag = useQuery(flagQueries.detail(session, flagKey));
  const schedules = useQuery({ ...scheduleQueries.forFlag(session, flagKey), enabled: flag.isSuccess });

  useEffect(() => {
    // Links like /flags/x#schedules land on the section once it has rendered.
    if (!flag.isSuccess || !window.location.hash) return;
    document.getElementById(window.location.hash.slice(1))?.scrollIntoView();
  }, [flag.isSuccess]);

  return (
    <QueryState
      query={flag}
      loading="Loading the flag…"
      errorTitle="Could not load the flag"
      renderError={(error) => (
        <>
          <PageHeader title={flagKey} />
          <ErrorMessage
            error={error}
            title={isApiError(error, 'NOT_FOUND') ? 'No such flag here' : 'Could not load the flag'}
          />
          <p>
            <Link to="/">Back to all flags</Link>
          </p>
        </>
      )}
    >
      {(view) => (
        <>
          <p className="breadcrumb">
            <Link to="/">Flags</Link> <span aria-hidden="true">/</span>
          </p>
          <PageHeader
            title={
              <>
                <span className="flag-key">{view.key}</span> <EnvironmentBadge environment={session.environment} />
              </>
            }
          />
          {view.description ? <p className="lead">{view.description}</p> : null}
          <div className="grid-2">
            <StateCard flag={view} />
            <TimelineCard flag={view} schedules={schedules.data ?? []} />
          </div>
          <TargetingCard flagKey={view.key} />
          <SchedulesCard flag={view} schedules={schedules} />
          <OverridesCard flagKey={view.key} />
          <DeleteFlagCard flagKey={view.key} />
        </>
      )}
    </QueryState>
  );
}
