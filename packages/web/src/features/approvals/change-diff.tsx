import type { ChangeRequest } from '@flagline/core';

type Preview = ChangeRequest['preview'][number];

const show = (value: unknown): string => (value === undefined ? '—' : JSON.stringify(value));

/** The fields an event's before and after differ in: what the reviewer approves. */
function changedFields(entry: Preview): { field: string; before: unknown; after: unknown }[] {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((field) => field !== 'version' && JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** The diff a change request would record, as previewed when it was made. */
export function ChangeDiff({ request }: { request: ChangeRequest }) {
  return (
    <>
      {request.preview.map((entry, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the preview is fixed once stored
        <table className="diff" key={index}>
          <caption className="muted small">{entry.type}</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {changedFields(entry).map((row) => (
              <tr key={row.field}>
                <th scope="row">{row.field}</th>
                <td>
                  <code>{show(row.before)}</code>
                </td>
                <td>
                  <code>{show(row.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}
