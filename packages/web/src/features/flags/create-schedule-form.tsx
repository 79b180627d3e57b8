import type { CreateScheduleBody, FlagView, OnConflict, Schedule, ScheduleUpdates } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { conflictsOf } from '../../api/plans';
import { scheduleQueries } from '../../api/schedules';
import { ErrorMessage, Field, WholeNumberInput } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { formatLocal, formatUtc, localTimeZone } from '../../lib/time';
import { ConflictDialog } from '../schedules/conflict-dialog';
import { describeUpdates } from '../schedules/describe-updates';
import { useSession } from '../session/session';
import { instantOf, newOnceDraft, type OnceDraft, OnceFields } from './once-fields';
import { newRecurrenceDraft, type RecurrenceDraft, recurrenceBody } from './recurrence/recurrence-draft';
import { RecurrenceEditor } from './recurrence/recurrence-editor';

type Repeat = 'once' | 'cron' | 'window';

const REPEATS: { value: Repeat; label: string }[] = [
  { value: 'once', label: 'Once' },
  { value: 'cron', label: 'Recurring (cron)' },
  { value: 'window', label: 'Daily window' },
];

/**
 * Schedules a change of the flag in the current environment: once, at a time picked in the local zone or UTC; on a
 * cron; or as a window (on at one local time, off at another), in an IANA zone, with the next occurrences previewed.
 */
export function CreateScheduleForm({ flag }: { flag: FlagView }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const browserZone = localTimeZone();
  const [repeat, setRepeat] = useState<Repeat>('once');
  const [once, setOnce] = useState<OnceDraft>(newOnceDraft);
  const [recurrence, setRecurrence] = useState<RecurrenceDraft>(() => newRecurrenceDraft('cron', browserZone));
  const [enabled, setEnabled] = useState<'keep' | 'on' | 'off'>('on');
  const [rollout, setRollout] = useState('');
  const [maxRetries, setMaxRetries] = useState('3');
  const [done, setDone] = useState<Schedule | null>(null);
  const create = useMutation({
    // Asks the server to refuse a collision with pending schedules, so that the user confirms it first.
    mutationFn: (onConflict: OnConflict) =>
      session.client.createSchedule(flag.key, bodyOf(), session.environment, onConflict),
    onSuccess: (schedule) => {
      setDone(schedule);
      void queryClient.invalidateQueries({ queryKey: scheduleQueries.all() });
    },
  });
  const conflicts = conflictsOf(create.error);
  const updates = (): ScheduleUpdates => ({
    ...(enabled === 'keep' ? {} : { enabled: enabled === 'on' }),
    ...(rollout.trim() === '' ? {} : { rolloutPercentage: Number(rollout) }),
  });
  function bodyOf(): CreateScheduleBody {
    const common = { updates: updates(), maxRetries: Number(maxRetries) };
    if (repeat !== 'once') return { ...recurrenceBody(recurrence), ...common };
    const at = instantOf(once);
    if (!at) throw new Error('Pick a complete date and time.');
    return { scheduledAt: at.toISOString(), ...common };
  }
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      create.reset();
    };
  const chooseRepeat = (next: Repeat) => {
    if (next !== 'once') setRecurrence({ ...recurrence, form: next });
    setRepeat(next);
    create.reset();
  };
  // The dialog stays outside the form: its own form's submit would otherwise bubble to this one.
  return (
    <>
      <form
        className="subcard"
        aria-labelledby="new-schedule-heading"
        onSubmit={(event) => {
          event.preventDefault();
          setDone(null);
          create.mutate('reject');
        }}
      >
        <h3 id="new-schedule-heading">Schedule a change</h3>
        <fieldset className="segmented segmented-small">
          <legend className="visually-hidden">Repeat</legend>
          {REPEATS.map((option) => (
            <button
              key={option.value}
              type="button"
              aria-pressed={repeat === option.value}
              onClick={() => chooseRepeat(option.value)}
            >
              {option.label}
            </button>
          ))}
        </fieldset>
        {repeat === 'once' ? (
          <OnceFields draft={once} error={fieldError(create.error, 'scheduledAt')} onChange={edit(setOnce)} />
        ) : (
          <RecurrenceEditor
            draft={recurrence}
            browserZone={browserZone}
            error={create.error}
            onChange={edit(setRecurrence)}
          />
        )}
        <div className="form-row">
          <Field
            label="Enabled"
            hint={repeat === 'window' ? 'When the window opens; it closes turned off.' : undefined}
            error={fieldError(create.error, 'updates.enabled')}
          >
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
        {conflicts ? null : <ErrorMessage error={create.error} title="Not scheduled" />}
        {done ? <ScheduledNotice schedule={done} /> : null}
      </form>
      <ConflictDialog
        conflicts={conflicts}
        subject="This schedule"
        busy={create.isPending}
        onConfirm={() => create.mutate(undefined)}
        onCancel={() => create.reset()}
      />
    </>
  );
}

function ScheduledNotice({ schedule }: { schedule: Schedule }) {
  const what = describeUpdates(schedule.updates);
  const when = `${formatLocal(schedule.scheduledAt)} (${formatUtc(schedule.scheduledAt)})`;
  return (
    <p className="notice notice-success" role="status">
      {schedule.recurrence ? `Scheduled “${what}” to recur; first at ${when}.` : `Scheduled “${what}” for ${when}.`}
    </p>
  );
}
