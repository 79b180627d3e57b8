import { Field } from '../../components/ui';
import {
  formatRelative,
  formatUtc,
  fromDateTimeInput,
  type InputZone,
  localTimeZone,
  toDateTimeInput,
  useNow,
  utcOffset,
} from '../../lib/time';

/** A one-off time as the form holds it: the input's value and the zone it is read in. */
export interface OnceDraft {
  when: string;
  zone: InputZone;
}

export const newOnceDraft = (): OnceDraft => ({
  when: toDateTimeInput(new Date(Date.now() + 3_600_000), 'local'),
  zone: 'local',
});

export const instantOf = (draft: OnceDraft): Date | undefined => fromDateTimeInput(draft.when, draft.zone);

/** The date and time of a one-off schedule, in the local zone or UTC, with quick picks and its UTC instant. */
export function OnceFields({
  draft,
  error,
  onChange,
}: {
  draft: OnceDraft;
  error: string | undefined;
  onChange(next: OnceDraft): void;
}) {
  const zoneName = localTimeZone();
  const now = useNow(1000);
  const at = instantOf(draft);
  const switchZone = (zone: InputZone) =>
    // Keep the same instant when the user switches how it is shown.
    onChange({ zone, when: at ? toDateTimeInput(at, zone) : draft.when });
  const shift = (ms: number) => onChange({ ...draft, when: toDateTimeInput(new Date(Date.now() + ms), draft.zone) });
  const zoneLabel = draft.zone === 'utc' ? 'UTC' : `${zoneName}, UTC${utcOffset(at ?? new Date())}`;
  return (
    <>
      <div className="form-row">
        <Field
          className="grow"
          label={`Date and time in ${zoneLabel}`}
          error={error}
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
              value={draft.when}
              onChange={(event) => onChange({ ...draft, when: event.target.value })}
              required
            />
          )}
        </Field>
        <Field label="Time zone" className="grow">
          {(props) => (
            <select {...props} value={draft.zone} onChange={(event) => switchZone(event.target.value as InputZone)}>
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
    </>
  );
}
