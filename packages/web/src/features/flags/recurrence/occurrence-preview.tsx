import type { Occurrence, RecurrencePreview } from '@flagline/core';
import { ErrorMessage } from '../../../components/ui';
import { formatLocal, formatUtc } from '../../../lib/time';
import { offsetChanges, offsetOf } from './recurrence-draft';

const weekday = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: 'UTC' });

/** "Sat 2026-03-28 09:00 (UTC+01:00)" from the server's local ISO time, read as written (no zone arithmetic here). */
function formatWallClock(local: string): string {
  const day = weekday.format(new Date(`${local.slice(0, 10)}T12:00:00Z`));
  return `${day} ${local.slice(0, 10)} ${local.slice(11, 16)} (UTC${offsetOf({ utc: '', local })})`;
}

/**
 * The next occurrences of the recurrence being edited, as the server computes them (the scheduler's own code), in
 * UTC and the schedule's zone; a note when a daylight-saving change falls among them.
 */
export function OccurrencePreview({
  preview,
  timeZone,
  browserZone,
}: {
  preview: {
    data: RecurrencePreview | undefined;
    error: unknown;
    isError: boolean;
    isPending: boolean;
    isFetching: boolean;
  };
  timeZone: string;
  browserZone: string;
}) {
  const occurrences = preview.data?.nextOccurrences ?? [];
  const changes = offsetChanges(occurrences);
  return (
    <section className="subcard" aria-labelledby="occurrence-preview-heading" aria-busy={preview.isFetching}>
      <h4 id="occurrence-preview-heading">Next occurrences</h4>
      {preview.isError ? <ErrorMessage error={preview.error} title="Cannot preview" /> : null}
      {changes.map(({ before, after }) => (
        <p key={after.utc} className="notice notice-warning" data-testid="dst-note">
          Daylight saving time changes in {timeZone} between {before.local.slice(0, 10)} and {after.local.slice(0, 10)}:
          the offset goes from UTC{offsetOf(before)} to UTC{offsetOf(after)}. The local time stays the same; the UTC
          time moves.
        </p>
      ))}
      {!preview.isError && occurrences.length === 0 && !preview.isPending ? (
        <p className="muted">No occurrence left.</p>
      ) : null}
      {!preview.isError && occurrences.length > 0 ? (
        <OccurrenceTable occurrences={occurrences} timeZone={timeZone} browserZone={browserZone} />
      ) : null}
    </section>
  );
}

function OccurrenceTable({
  occurrences,
  timeZone,
  browserZone,
}: {
  occurrences: Occurrence[];
  timeZone: string;
  browserZone: string;
}) {
  const showBrowser = timeZone !== browserZone;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="occurrence-preview">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{timeZone}</th>
            <th scope="col">UTC</th>
            {showBrowser ? <th scope="col">This browser</th> : null}
            {occurrences.some((o) => o.action) ? <th scope="col">Does</th> : null}
          </tr>
        </thead>
        <tbody>
          {occurrences.map((occurrence, index) => (
            <tr key={occurrence.utc}>
              <td>{index + 1}</td>
              <td>{formatWallClock(occurrence.local)}</td>
              <td>{formatUtc(occurrence.utc)}</td>
              {showBrowser ? <td>{formatLocal(occurrence.utc)}</td> : null}
              {occurrence.action ? <td>{occurrence.action === 'on' ? 'Opens' : 'Closes'}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
