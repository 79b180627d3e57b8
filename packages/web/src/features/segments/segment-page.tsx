import type { Constraint, SegmentView } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { segmentQueries } from '../../api/targeting';
import { QueryState } from '../../components/query-state';
import { ConfirmDialog, ErrorMessage, Field, PageHeader } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { formatLocal } from '../../lib/time';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { ConstraintList } from '../targeting/constraint-editor';

const route = getRouteApi('/segments/$segmentKey');

function SegmentEditor({ segment }: { segment: SegmentView }) {
  const { client, canWrite } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(segment.name);
  const [description, setDescription] = useState(segment.description);
  const [constraints, setConstraints] = useState<Constraint[]>(segment.constraints);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const dirty =
    name !== segment.name ||
    description !== segment.description ||
    JSON.stringify(constraints) !== JSON.stringify(segment.constraints);
  const save = useMutation({
    mutationFn: () =>
      client.replaceSegment(segment.key, { name, description, constraints }, { ifMatch: segment.version }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: segmentQueries.all() }),
  });
  const remove = useMutation({
    mutationFn: () => client.deleteSegment(segment.key, { ifMatch: segment.version }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: segmentQueries.all() });
      await navigate({ to: '/segments' });
    },
  });
  return (
    <>
      <section className="card" aria-labelledby="segment-heading">
        <h2 id="segment-heading">Constraints</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate();
          }}
        >
          <fieldset disabled={!canWrite} className="form-row">
            <Field label="Name" error={fieldError(save.error, 'name')} className="grow">
              {(props) => (
                <input {...props} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />
              )}
            </Field>
            <Field label="Description" error={fieldError(save.error, 'description')} className="grow">
              {(props) => (
                <input
                  {...props}
                  value={description}
                  maxLength={1000}
                  onChange={(event) => setDescription(event.target.value)}
                />
              )}
            </Field>
          </fieldset>
          <ConstraintList label="Segment" constraints={constraints} readOnly={!canWrite} onChange={setConstraints} />
          <p className="muted small">
            Version {segment.version} · last change {formatLocal(segment.updatedAt)}
          </p>
          <ErrorMessage error={save.error} title="Not saved" />
          {canWrite ? (
            <div className="actions">
              <button type="submit" className="button button-primary" disabled={!dirty || save.isPending}>
                {save.isPending ? 'Saving…' : 'Save segment'}
              </button>
            </div>
          ) : null}
        </form>
      </section>
      <section className="card" aria-labelledby="used-by-heading">
        <h2 id="used-by-heading">Used by</h2>
        {segment.usedBy.length === 0 ? (
          <p className="muted">No flag uses this segment.</p>
        ) : (
          <ul>
            {segment.usedBy.map((use) => (
              <li key={`${use.flagKey}/${use.environment}`}>
                <Link to="/flags/$flagKey" params={{ flagKey: use.flagKey }} hash="targeting">
                  {use.flagKey}
                </Link>{' '}
                in {use.environment}
              </li>
            ))}
          </ul>
        )}
      </section>
      {canWrite ? (
        <section className="card danger-zone" aria-labelledby="delete-segment-heading">
          <h2 id="delete-segment-heading">Delete</h2>
          <p className="muted">A segment that rules still use cannot be deleted; the answer lists them.</p>
          <button type="button" className="button button-danger-outline" onClick={() => setConfirmingDelete(true)}>
            Delete segment
          </button>
          <ConfirmDialog
            open={confirmingDelete}
            title={`Delete segment “${segment.key}”?`}
            confirmLabel="Delete"
            busy={remove.isPending}
            error={remove.error}
            onCancel={() => {
              setConfirmingDelete(false);
              remove.reset();
            }}
            onConfirm={() => remove.mutate()}
          >
            <p>Rules that name it must stop using it first. This cannot be undone.</p>
          </ConfirmDialog>
        </section>
      ) : null}
    </>
  );
}

export function SegmentPage() {
  const { segmentKey } = route.useParams();
  const session = useSession();
  useDocumentTitle(segmentKey);
  const segment = useQuery(segmentQueries.detail(session, segmentKey));
  return (
    <>
      <p className="breadcrumb">
        <Link to="/segments">Segments</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader title={<span className="flag-key">{segmentKey}</span>} />
      <QueryState query={segment} loading="Loading the segment…" errorTitle="Could not load the segment">
        {(view) => <SegmentEditor key={view.version} segment={view} />}
      </QueryState>
    </>
  );
}
