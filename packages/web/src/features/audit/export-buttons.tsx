import type { AuditFilter } from '@flagline/core';
import { useState } from 'react';
import { ErrorMessage } from '../../components/ui';
import { useSession } from '../session/session';

/** Downloads the (filtered) trail as NDJSON or CSV. */
export function ExportButtons({ filter }: { filter: AuditFilter }) {
  const { client } = useSession();
  const [state, setState] = useState<{ busy?: string; done?: string; error?: unknown }>({});
  const download = async (format: 'ndjson' | 'csv') => {
    setState({ busy: format });
    try {
      // The export needs the Authorization header, so it cannot be a plain link: fetch it, then save the blob.
      const response = await client.exportAuditResponse({ ...filter, format });
      const blob = await response.blob();
      const disposition = response.headers.get('content-disposition') ?? '';
      const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `flagline-audit.${format}`;
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = filename;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setState({ done: `Saved ${filename} (${Math.max(1, Math.round(blob.size / 1024))} KB).` });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div className="export">
      <span className="muted small">Export{Object.keys(filter).length > 0 ? ' (filtered)' : ''}:</span>
      <button
        type="button"
        className="button button-small"
        disabled={!!state.busy}
        onClick={() => void download('ndjson')}
      >
        {state.busy === 'ndjson' ? 'Exporting…' : 'NDJSON'}
      </button>
      <button
        type="button"
        className="button button-small"
        disabled={!!state.busy}
        onClick={() => void download('csv')}
      >
        {state.busy === 'csv' ? 'Exporting…' : 'CSV'}
      </button>
      <span className="small" role="status">
        {state.done ?? ''}
      </span>
      {state.error ? <ErrorMessage error={state.error} title="Export failed" /> : null}
    </div>
  );
}
