import type { Weekday } from '@flagline/core';
import { Field, WholeNumberInput } from '../../../components/ui';
import { fieldError } from '../../../lib/errors';
import { type RecurrenceDraft, WEEKDAYS } from './recurrence-draft';
import { TimeZoneSelect } from './time-zone-select';

/** A recurrence being edited: the draft, the browser's zone (the default), the last error at fault, and the edit. */
export interface RecurrenceInputProps {
  draft: RecurrenceDraft;
  browserZone: string;
  error: unknown;
  onChange(next: RecurrenceDraft): void;
}

/**
 * The recurring part of the schedule form: a cron, or a window's opening and closing times and weekdays, in an IANA
 * time zone, with an optional end date and count. `error` is the last answer at fault (preview or creation): its
 * fields are shown next to the inputs they name.
 */
export function RecurrenceFields({ draft, browserZone, error, onChange }: RecurrenceInputProps) {
  const prefix = draft.form === 'cron' ? 'recurrence' : 'window';
  const set = (patch: Partial<RecurrenceDraft>) => onChange({ ...draft, ...patch });
  const toggleDay = (day: Weekday, on: boolean) =>
    set({ days: WEEKDAYS.map((d) => d.value).filter((d) => (d === day ? on : draft.days.includes(d))) });
  return (
    <>
      <div className="form-row">
        {draft.form === 'cron' ? (
          <Field
            className="grow"
            label="Cron (minute hour day month weekday)"
            hint="0 9 * * 1-5 is 09:00 Monday to Friday, in the time zone."
            error={fieldError(error, 'recurrence.cron')}
          >
            {(props) => (
              <input
                {...props}
                value={draft.cron}
                spellCheck={false}
                onChange={(event) => set({ cron: event.target.value })}
              />
            )}
          </Field>
        ) : (
          <>
            <Field label="Opens at" error={fieldError(error, 'window.on')}>
              {(props) => (
                <input {...props} type="time" value={draft.on} onChange={(event) => set({ on: event.target.value })} />
              )}
            </Field>
            <Field
              label="Closes at"
              hint="Earlier than the opening closes the next day."
              error={fieldError(error, 'window.off')}
            >
              {(props) => (
                <input
                  {...props}
                  type="time"
                  value={draft.off}
                  onChange={(event) => set({ off: event.target.value })}
                />
              )}
            </Field>
          </>
        )}
        <Field label="Time zone" className="grow" error={fieldError(error, `${prefix}.timeZone`)}>
          {(props) => (
            <TimeZoneSelect
              {...props}
              value={draft.timeZone}
              browserZone={browserZone}
              onChange={(timeZone) => set({ timeZone })}
            />
          )}
        </Field>
      </div>
      {draft.form === 'window' ? (
        <fieldset className="field">
          <legend>Opens on</legend>
          <div className="form-row">
            {WEEKDAYS.map((day) => (
              <label key={day.value} className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.days.includes(day.value)}
                  onChange={(event) => toggleDay(day.value, event.target.checked)}
                />{' '}
                {day.label}
              </label>
            ))}
          </div>
          {fieldError(error, 'window.days') ? (
            <div className="field-error">{fieldError(error, 'window.days')}</div>
          ) : null}
        </fieldset>
      ) : null}
      <div className="form-row">
        <Field
          className="grow"
          label={`Until (optional, in ${browserZone})`}
          hint="No occurrence after this time."
          error={fieldError(error, `${prefix}.until`)}
        >
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              value={draft.until}
              onChange={(event) => set({ until: event.target.value })}
            />
          )}
        </Field>
        <Field
          label={draft.form === 'cron' ? 'Occurrences (optional)' : 'Windows (optional)'}
          hint="Ends after this many."
          error={fieldError(error, `${prefix}.count`)}
        >
          {(props) => (
            <WholeNumberInput
              {...props}
              min={1}
              max={100000}
              value={draft.count}
              onChange={(event) => set({ count: event.target.value })}
            />
          )}
        </Field>
      </div>
    </>
  );
}
