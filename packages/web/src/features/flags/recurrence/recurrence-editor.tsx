import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { scheduleQueries } from '../../../api/schedules';
import { useDebounced } from '../../../lib/use-debounced';
import { useSession } from '../../session/session';
import { OccurrencePreview } from './occurrence-preview';
import { recurrenceBody } from './recurrence-draft';
import { RecurrenceFields, type RecurrenceInputProps } from './recurrence-fields';

/**
 * A recurrence being edited and its next occurrences, previewed by the server as the typing pauses. A field the
 * server refuses (in the preview, or on creation: `error`) is shown at its input.
 */
export function RecurrenceEditor({ draft, browserZone, error, onChange }: RecurrenceInputProps) {
  const session = useSession();
  const settled = useDebounced(draft, 300);
  const preview = useQuery({
    ...scheduleQueries.preview(session, recurrenceBody(settled)),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <RecurrenceFields
        draft={draft}
        browserZone={browserZone}
        error={error ?? (preview.isError ? preview.error : undefined)}
        onChange={onChange}
      />
      <OccurrencePreview preview={preview} timeZone={settled.timeZone} browserZone={browserZone} />
    </>
  );
}
