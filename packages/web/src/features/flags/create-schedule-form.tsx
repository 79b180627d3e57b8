import type { FlagView, Schedule } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { scheduleQueries } from '../../api/schedules';
import { ErrorMessage, Field, WholeNumberInput } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import {
  formatLocal,
  formatRelative,
  formatUtc,
  fromDateTimeInput,
  type InputZone,
  localTimeZone,
  toDateTimeInput,
  useNow,
  utcOffset,
} from '../../lib/time';
import { describeUpdates } from '../schedules/describe-updates';
import { useSession } from '../session/session';

/** Schedules a change of the flag in the current environment, at a time picked in the local zone or UTC. */
export function CreateScheduleForm({ flag }: { flag: FlagView }) {
  const session = useSession();
  const { client, environment } = session;
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
      void queryClient.invalidateQueries({ queryKey: scheduleQueries.all() });
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
            <WholeNumberInput
              {...props}
              min={0}
              max={100}
              value={rollout}
              onChange={(event) => setRollout(event.target.value)}
            />
          )}
        </Field>
        <Field label="Retries" hint="If applying fails." error={fieldError(create.error, 'maxRetries')}>
          {(props) => (
            <WholeNumberInput
              {...props}
              min={0}
              max={10}
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
