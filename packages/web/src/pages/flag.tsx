import type { AuditEvent, FlagView, Override, OverrideType, Schedule, ScheduleStatus } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState } from 'react';
import { buildTimeline, Timeline } from '../components/timeline';
import { Badge, ConfirmDialog, Empty, ErrorMessage, Field, Loading, PageHeader, Switch } from '../components/ui';
import { fieldError, isApiError } from '../lib/errors';
import { actorLabel, describeUpdates, idLabel, POLL_MS, useTokenNames } from '../lib/queries';
import { Link, useRouter } from '../lib/router';
import { useSession } from '../lib/session';
import {
  formatAgo,
  formatLocal,
  formatRelative,
  formatUtc,
  fromDateTimeInput,
  type InputZone,
  localTimeZone,
  toDateTimeInput,
  useNow,
  utcOffset,
} from '../lib/time';
import { RolloutBar } from './flags';

export function FlagPage({ flagKey }: { flagKey: string }) {
  const { client, environment } = useSession();
  const flag = useQuery({
    queryKey: ['flag', environment, flagKey],
    queryFn: () => client.getFlag(flagKey, environment),
  });
  const schedules = useQuery({
    queryKey: ['flag-schedules', environment, flagKey],
    queryFn: () => client.listFlagSchedules(flagKey, { environment }),
    refetchInterval: POLL_MS,
    enabled: flag.isSuccess,
  });

  useEffect(() => {
    // Links like /flags/x#schedules land on the section once it has rendered.
    if (!flag.isSuccess || !window.location.hash) return;
    document.getElementById(window.location.hash.slice(1))?.scrollIntoView();
  }, [flag.isSuccess]);

  if (flag.isPending) return <Loading label="Loading the flag…" />;
  if (flag.isError) {
    return (
      <>
        <PageHeader title={flagKey} />
        <ErrorMessage
          error={flag.error}
          title={isApiError(flag.error, 'NOT_FOUND') ? 'No such flag here' : 'Could not load the flag'}
        />
        <p>
          <Link to="/">Back to all flags</Link>
        </p>
      </>
    );
  }
  const view = flag.data;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/">Flags</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader
        title={
          <>
            <span className="flag-key">{view.key}</span>{' '}
            <Badge tone={environment === 'production' ? 'danger' : 'info'}>{environment}</Badge>
          </>
        }
      />
      {view.description ? <p className="lead">{view.description}</p> : null}
      <div className="grid-2">
        <StateEditor flag={view} />
        <TimelineCard flag={view} schedules={schedules.data ?? []} />
      </div>
      <SchedulesCard flag={view} schedules={schedules} />
      <OverridesCard flagKey={view.key} />
      <DeleteFlag flagKey={view.key} />
    </>
  );
}

function StateEditor({ flag }: { flag: FlagView }) {
  const { client, environment, canWrite } = useSession();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<{ enabled: boolean; rollout: number; description: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const enabled = draft?.enabled ?? flag.enabled;
  const rollout = draft?.rollout ?? flag.rolloutPercentage;
  const description = draft?.description ?? flag.description;
  const changes = {
    ...(enabled !== flag.enabled ? { enabled } : {}),
    ...(rollout !== flag.rolloutPercentage ? { rolloutPercentage: rollout } : {}),
    ...(description !== flag.description ? { description } : {}),
  };
  const dirty = Object.keys(changes).length > 0;
  const save = useMutation({
    mutationFn: () => client.updateFlag(flag.key, changes, { environment, ifMatch: flag.version }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['flag', environment, flag.key], updated);
      setDraft(null);
      setConfirming(false);
    },
    onError: (error) => {
      if (isApiError(error, 'PRECONDITION_FAILED')) {
        setDraft(null);
        setConfirming(false);
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['flag', environment, flag.key] }),
  });
  const edit = (patch: Partial<{ enabled: boolean; rollout: number; description: string }>) => {
    save.reset();
    setDraft({ enabled, rollout, description, ...patch });
  };
  const rolloutId = useId();

  if (!canWrite) {
    return (
      <section className="card" aria-labelledby="state-heading">
        <h2 id="state-heading">State in {environment}</h2>
        <dl className="facts">
          <dt>Enabled</dt>
          <dd>
            <Badge tone={flag.enabled ? 'success' : 'neutral'}>{flag.enabled ? 'On' : 'Off'}</Badge>
          </dd>
          <dt>Rollout</dt>
          <dd>
            <RolloutBar value={flag.rolloutPercentage} enabled={flag.enabled} />
          </dd>
          <dt>Version</dt>
          <dd>{flag.version}</dd>
          <dt>Last change</dt>
          <dd>{formatLocal(flag.updatedAt)}</dd>
        </dl>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="state-heading">
      <h2 id="state-heading">State in {environment}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!dirty) return;
          if (environment === 'production') setConfirming(true);
          else save.mutate();
        }}
      >
        <div className="field field-inline">
          <span className="label" id="enabled-label">
            Enabled
          </span>
          <Switch
            checked={enabled}
            label={`${flag.key} enabled in ${environment}`}
            onChange={(next) => edit({ enabled: next })}
          />
        </div>
        <div className="field">
          <label htmlFor={rolloutId}>Rollout percentage</label>
          <div className="rollout-editor">
            <input
              type="range"
              min={0}
              max={100}
              step={1}
              value={rollout}
              aria-label="Rollout percentage slider"
              onChange={(event) => edit({ rollout: Number(event.target.value) })}
            />
            <input
              id={rolloutId}
              type="number"
              min={0}
              max={100}
              step={1}
              inputMode="numeric"
              className="number"
              value={rollout}
              onChange={(event) =>
                edit({ rollout: Math.max(0, Math.min(100, Math.round(Number(event.target.value) || 0))) })
              }
            />
            <span aria-hidden="true">%</span>
          </div>
          <div className="hint">
            Share of users (by a stable hash of flag key and user id) who get the flag while it is on.
          </div>
        </div>
        <Field label="Description" error={fieldError(save.error, 'description')}>
          {(props) => (
            <input
              {...props}
              value={description}
              maxLength={1000}
              onChange={(event) => edit({ description: event.target.value })}
            />
          )}
        </Field>
        <p className="muted small">
          Version {flag.version} · last change {formatLocal(flag.updatedAt)}
        </p>
        <ErrorMessage error={save.error && !confirming ? save.error : null} title="Not saved" />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={!dirty || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="button" disabled={!dirty || save.isPending} onClick={() => setDraft(null)}>
            Reset
          </button>
        </div>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Change “${flag.key}” in production?`}
        confirmLabel="Apply to production"
        busy={save.isPending}
        error={save.error}
        onCancel={() => {
          setConfirming(false);
          save.reset();
        }}
        onConfirm={() => save.mutate()}
      >
        <ul>
          {changes.enabled !== undefined ? <li>Turn {changes.enabled ? 'on' : 'off'}</li> : null}
          {changes.rolloutPercentage !== undefined ? (
            <li>
              Rollout {flag.rolloutPercentage}% → {changes.rolloutPercentage}%
            </li>
          ) : null}
          {changes.description !== undefined ? <li>New description</li> : null}
        </ul>
      </ConfirmDialog>
    </section>
  );
}

function TimelineCard({ flag, schedules }: { flag: FlagView; schedules: Schedule[] }) {
  const { client, environment } = useSession();
  const names = useTokenNames();
  const now = useNow(1000);
  const history = useQuery({
    queryKey: ['timeline', environment, flag.key],
    queryFn: async () => {
      const [created, updated, applied] = await Promise.all([
        client.listAudit({ type: 'flag.created', flagKey: flag.key, limit: 1 }),
        client.listAudit({ type: 'flag.updated', flagKey: flag.key, environment, limit: 500 }),
        client.listAudit({ type: 'flag_schedule.applied', flagKey: flag.key, environment, limit: 500 }),
      ]);
      // Only the latest incarnation: a flag deleted and created again starts a new line.
      const createdAt = created.items[0] ? new Date(created.items[0].occurredAt).getTime() : 0;
      return [...created.items, ...updated.items, ...applied.items].filter(
        (event) => new Date(event.occurredAt).getTime() >= createdAt,
      );
    },
  });
  const pending = useMemo(() => schedules.filter((schedule) => schedule.status === 'pending'), [schedules]);
  const timeline = useMemo(
    () => buildTimeline(history.data ?? [], pending, flag, (event: AuditEvent) => actorLabel(event.actor, names)),
    [history.data, pending, flag, names],
  );
  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      {history.isPending ? (
        <Loading label="Loading the history…" />
      ) : history.isError ? (
        <ErrorMessage error={history.error} title="Could not load the history" />
      ) : (
        <Timeline past={timeline.past} future={timeline.future} now={now} />
      )}
    </section>
  );
}

const STATUSES: { value: ScheduleStatus | 'all'; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'applied', label: 'Applied' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'all', label: 'All' },
];

const statusTone: Record<ScheduleStatus, string> = {
  pending: 'info',
  applied: 'success',
  failed: 'danger',
  cancelled: 'neutral',
};

function SchedulesCard({
  flag,
  schedules,
}: {
  flag: FlagView;
  schedules: { data?: Schedule[] | undefined; isPending: boolean; isError: boolean; error: unknown };
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
      {canWrite ? <CreateSchedule flag={flag} /> : null}
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
      {schedules.isPending ? (
        <Loading label="Loading schedules…" />
      ) : schedules.isError ? (
        <ErrorMessage error={schedules.error} title="Could not load the schedules" />
      ) : shown.length === 0 ? (
        <Empty>
          <p>{status === 'all' ? 'Nothing scheduled for this flag yet.' : `No ${status} schedules.`}</p>
        </Empty>
      ) : (
        <ScheduleTable schedules={shown} showFlag={false} />
      )}
    </section>
  );
}

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
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['flag-schedules'] }),
        queryClient.invalidateQueries({ queryKey: ['schedules'] }),
      ]),
  });
  const by = (id: string | null) => idLabel(id, names);
  return (
    <>
      <div className="table-wrap">
        <table className="table responsive">
          <thead>
            <tr>
              {showFlag ? <th scope="col">Flag</th> : null}
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">Status</th>
              <th scope="col">Created by</th>
              {canWrite ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {schedules.map((schedule) => (
              <tr key={schedule.id} data-schedule={schedule.id} data-status={schedule.status}>
                {showFlag ? (
                  <td data-label="Flag">
                    <Link to={`/flags/${encodeURIComponent(schedule.flagKey)}#schedules`} className="flag-key">
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
          </tbody>
        </table>
      </div>
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

function CreateSchedule({ flag }: { flag: FlagView }) {
  const { client, environment } = useSession();
  const queryClient = useQueryClient();
  const zoneName = localTimeZone();
  const [zone, setZone] = useState<InputZone>('local');
  const [when, setWhen] = useState(() => toDateTimeInput(new Date(Date.now() + 3_600_000), 'local'));
  const [enabled, setEnabled] = useState<'keep' | 'on' | 'off'>('on');
  const [rollout, setRollout] = useState('');
  const [maxRetries, setMaxRetries] = useState('3');
  const [done, setDone] = useState<Schedule | null>(null);
  const now = useNow(1000);
  const at = fromDateTimeInput(when, zone);
  const create = useMutation({
    mutationFn: () => {
      if (!at) throw new Error('Pick a complete date and time.');
      return client.createSchedule(
        flag.key,
        {
          scheduledAt: at.toISOString(),
          updates: {
            ...(enabled === 'keep' ? {} : { enabled: enabled === 'on' }),
            ...(rollout.trim() === '' ? {} : { rolloutPercentage: Number(rollout) }),
          },
          maxRetries: Number(maxRetries),
        },
        environment,
      );
    },
    onSuccess: (schedule) => {
      setDone(schedule);
      void queryClient.invalidateQueries({ queryKey: ['flag-schedules', environment, flag.key] });
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
    },
  });
  const switchZone = (next: InputZone) => {
    // Keep the same instant when the user switches how it is shown.
    if (at) setWhen(toDateTimeInput(at, next));
    setZone(next);
  };
  const shift = (ms: number) => {
    setWhen(toDateTimeInput(new Date(Date.now() + ms), zone));
    create.reset();
  };
  const zoneLabel = zone === 'utc' ? 'UTC' : `${zoneName}, UTC${utcOffset(at ?? new Date())}`;
  return (
    <form
      className="subcard"
      aria-labelledby="new-schedule-heading"
      onSubmit={(event) => {
        event.preventDefault();
        setDone(null);
        create.mutate();
      }}
    >
      <h3 id="new-schedule-heading">Schedule a change</h3>
      <div className="form-row">
        <Field
          className="grow"
          label={`Date and time in ${zoneLabel}`}
          error={fieldError(create.error, 'scheduledAt')}
          hint={
            <span aria-live="polite">
              {at ? (
                <>
                  Applies at <strong data-testid="utc-preview">{formatUtc(at)}</strong> ({formatRelative(at, now)})
                  {at.getTime() <= now ? <span className="warning-text"> — in the past: pick a later time</span> : null}
                </>
              ) : (
                'Pick a complete date and time.'
              )}
            </span>
          }
        >
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              step={1}
              value={when}
              onChange={(event) => {
                setWhen(event.target.value);
                create.reset();
              }}
              required
            />
          )}
        </Field>
        <Field label="Time zone" className="grow">
          {(props) => (
            <select {...props} value={zone} onChange={(event) => switchZone(event.target.value as InputZone)}>
              <option value="local">
                {zoneName} (UTC{utcOffset(at ?? new Date())})
              </option>
              <option value="utc">UTC</option>
            </select>
          )}
        </Field>
      </div>
      <fieldset className="quick-picks">
        <legend className="visually-hidden">Quick picks</legend>
        <button type="button" className="button button-small" onClick={() => shift(10 * 60_000)}>
          In 10 min
        </button>
        <button type="button" className="button button-small" onClick={() => shift(3_600_000)}>
          In 1 hour
        </button>
        <button type="button" className="button button-small" onClick={() => shift(86_400_000)}>
          In 1 day
        </button>
      </fieldset>
      <div className="form-row">
        <Field label="Enabled" error={fieldError(create.error, 'updates.enabled')}>
          {(props) => (
            <select {...props} value={enabled} onChange={(event) => setEnabled(event.target.value as typeof enabled)}>
              <option value="keep">Leave as it is then</option>
              <option value="on">Turn on</option>
              <option value="off">Turn off</option>
            </select>
          )}
        </Field>
        <Field
          label="Rollout %"
          hint="Empty keeps the rollout."
          error={fieldError(create.error, 'updates.rolloutPercentage')}
        >
          {(props) => (
            <input
              {...props}
              type="number"
              min={0}
              max={100}
              step={1}
              inputMode="numeric"
              className="number"
              value={rollout}
              onChange={(event) => setRollout(event.target.value)}
            />
          )}
        </Field>
        <Field label="Retries" hint="If applying fails." error={fieldError(create.error, 'maxRetries')}>
          {(props) => (
            <input
              {...props}
              type="number"
              min={0}
              max={10}
              step={1}
              inputMode="numeric"
              className="number"
              value={maxRetries}
              onChange={(event) => setMaxRetries(event.target.value)}
            />
          )}
        </Field>
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Scheduling…' : 'Schedule change'}
          </button>
        </div>
      </div>
      <ErrorMessage error={create.error} title="Not scheduled" />
      {done ? (
        <p className="notice notice-success" role="status">
          Scheduled “{describeUpdates(done.updates)}” for {formatLocal(done.scheduledAt)} ({formatUtc(done.scheduledAt)}
          ).
        </p>
      ) : null}
    </form>
  );
}

const OVERRIDE_PAGE_SIZE = 10;

function OverridesCard({ flagKey }: { flagKey: string }) {
  const { client, environment, canWrite } = useSession();
  const names = useTokenNames();
  const now = useNow(5000);
  const [page, setPage] = useState(1);
  const queryClient = useQueryClient();
  const overrides = useQuery({
    queryKey: ['overrides', environment, flagKey, page],
    queryFn: () => client.listOverrides(flagKey, { environment, page, pageSize: OVERRIDE_PAGE_SIZE }),
    placeholderData: (previous) => previous,
  });
  const [removing, setRemoving] = useState<Override | null>(null);
  const remove = useMutation({
    mutationFn: (override: Override) => client.removeOverride(flagKey, override.userId, environment),
    onSuccess: () => setRemoving(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['overrides', environment, flagKey] }),
  });
  const total = overrides.data?.pagination.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / OVERRIDE_PAGE_SIZE));
  useEffect(() => {
    if (page > pages) setPage(pages);
  }, [page, pages]);
  const rows = overrides.data ? [...overrides.data.includes, ...overrides.data.excludes] : [];
  return (
    <section className="card" id="overrides" aria-labelledby="overrides-heading">
      <h2 id="overrides-heading">User overrides in {environment}</h2>
      <p className="muted small">
        Include serves the flag to a user whatever the rollout; exclude never serves it. Turning the flag off beats
        both.
      </p>
      {canWrite ? <AddOverride flagKey={flagKey} /> : null}
      {overrides.isPending ? (
        <Loading label="Loading overrides…" />
      ) : overrides.isError ? (
        <ErrorMessage error={overrides.error} title="Could not load the overrides" />
      ) : rows.length === 0 ? (
        <Empty>
          <p>No overrides: every user gets the rollout.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table responsive">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Type</th>
                <th scope="col">Reason</th>
                <th scope="col">Set by</th>
                {canWrite ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((override) => (
                <tr key={override.userId} data-user={override.userId}>
                  <td data-label="User">
                    <code>{override.userId}</code>
                  </td>
                  <td data-label="Type">
                    <Badge tone={override.overrideType === 'include' ? 'success' : 'warning'}>
                      {override.overrideType}
                    </Badge>
                  </td>
                  <td data-label="Reason">{override.reason || <span className="muted">—</span>}</td>
                  <td data-label="Set by">
                    {idLabel(override.createdBy, names)}
                    <div className="muted small">{formatAgo(override.updatedAt, now)}</div>
                  </td>
                  {canWrite ? (
                    <td data-label="Actions">
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        aria-label={`Remove the override for ${override.userId}`}
                        onClick={() => {
                          remove.reset();
                          setRemoving(override);
                        }}
                      >
                        Remove…
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > OVERRIDE_PAGE_SIZE ? (
        <nav className="pagination" aria-label="Override pages">
          <button type="button" className="button button-small" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages} ({total} overrides)
          </span>
          <button
            type="button"
            className="button button-small"
            disabled={page >= pages}
            onClick={() => setPage(page + 1)}
          >
            Next
          </button>
        </nav>
      ) : total > 0 ? (
        <p className="muted small">
          {total} override{total === 1 ? '' : 's'}
        </p>
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove the override for “${removing?.userId ?? ''}”?`}
        confirmLabel="Remove override"
        tone="danger"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => {
          setRemoving(null);
          remove.reset();
        }}
        onConfirm={() => removing && remove.mutate(removing)}
      >
        <p>The user goes back to the rollout in {environment}.</p>
      </ConfirmDialog>
    </section>
  );
}

function AddOverride({ flagKey }: { flagKey: string }) {
  const { client, environment } = useSession();
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState('');
  const [type, setType] = useState<OverrideType>('include');
  const [reason, setReason] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () =>
      client.setOverride(
        flagKey,
        { userId: userId.trim(), overrideType: type, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        environment,
      ),
    onSuccess: (override) => {
      setAdded(`${override.overrideType === 'include' ? 'Included' : 'Excluded'} ${override.userId}.`);
      setUserId('');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['overrides', environment, flagKey] });
    },
  });
  const typeName = useId();
  return (
    <form
      className="subcard"
      aria-labelledby="add-override-heading"
      onSubmit={(event) => {
        event.preventDefault();
        setAdded(null);
        add.mutate();
      }}
    >
      <h3 id="add-override-heading">Add an override</h3>
      <div className="form-row">
        <Field label="User id" error={fieldError(add.error, 'userId')}>
          {(props) => (
            <input
              {...props}
              value={userId}
              onChange={(event) => setUserId(event.target.value)}
              required
              maxLength={255}
              autoCapitalize="off"
              spellCheck={false}
            />
          )}
        </Field>
        <fieldset className="field radio-group">
          <legend>Type</legend>
          <label>
            <input
              type="radio"
              name={typeName}
              value="include"
              checked={type === 'include'}
              onChange={() => setType('include')}
            />{' '}
            Include
          </label>
          <label>
            <input
              type="radio"
              name={typeName}
              value="exclude"
              checked={type === 'exclude'}
              onChange={() => setType('exclude')}
            />{' '}
            Exclude
          </label>
        </fieldset>
        <Field label="Reason" error={fieldError(add.error, 'reason')} className="grow">
          {(props) => (
            <input
              {...props}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              maxLength={500}
              placeholder="e.g. beta tester, support ticket #123"
            />
          )}
        </Field>
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add override'}
          </button>
        </div>
      </div>
      <ErrorMessage error={add.error} title="The override was not set" />
      {added ? (
        <p className="notice notice-success" role="status">
          {added}
        </p>
      ) : null}
    </form>
  );
}

function DeleteFlag({ flagKey }: { flagKey: string }) {
  const { client, canWrite } = useSession();
  const { navigate } = useRouter();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const confirmId = useId();
  const remove = useMutation({
    mutationFn: () => client.deleteFlag(flagKey),
    onSuccess: () => {
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: ['flags'] });
      navigate('/');
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
