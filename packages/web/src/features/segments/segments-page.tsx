import type { Constraint } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { segmentQueries } from '../../api/targeting';
import { QueryState } from '../../components/query-state';
import { Empty, ErrorMessage, Field, PageHeader } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { ConstraintList } from '../targeting/constraint-editor';

function CreateSegmentCard() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [constraints, setConstraints] = useState<Constraint[]>([]);
  const create = useMutation({
    mutationFn: () => client.createSegment({ key: key.trim(), name: name.trim() || key.trim(), constraints }),
    onSuccess: () => {
      setKey('');
      setName('');
      setConstraints([]);
      void queryClient.invalidateQueries({ queryKey: segmentQueries.all() });
    },
  });
  return (
    <section className="card" aria-labelledby="create-segment-heading">
      <h2 id="create-segment-heading">Create a segment</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="form-row">
          <Field label="Key" error={fieldError(create.error, 'key')}>
            {(props) => (
              <input
                {...props}
                value={key}
                required
                maxLength={100}
                placeholder="beta-testers"
                autoCapitalize="off"
                spellCheck={false}
                onChange={(event) => setKey(event.target.value)}
              />
            )}
          </Field>
          <Field label="Name" error={fieldError(create.error, 'name')} className="grow">
            {(props) => (
              <input {...props} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />
            )}
          </Field>
        </div>
        <ConstraintList label="New segment" constraints={constraints} onChange={setConstraints} />
        <ErrorMessage error={create.error} title="The segment was not created" />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create segment'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Segments: named constraint lists that rules of any flag can require. */
export function SegmentsPage() {
  const session = useSession();
  useDocumentTitle('Segments');
  const segments = useQuery(segmentQueries.list(session));
  return (
    <>
      <PageHeader title="Segments" />
      <p className="lead">
        A segment is a named list of constraints. Rules that name it match only contexts that meet all of them; changing
        a segment changes every flag that uses it, at once and in the audit trail.
      </p>
      {session.canWrite ? <CreateSegmentCard /> : null}
      <section className="card" aria-labelledby="segment-list-heading">
        <h2 id="segment-list-heading">All segments</h2>
        <QueryState query={segments} loading="Loading segments…" errorTitle="Could not load the segments">
          {(items) =>
            items.length === 0 ? (
              <Empty>No segments yet.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Segment</th>
                      <th scope="col">Name</th>
                      <th scope="col">Constraints</th>
                      <th scope="col">Used by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((segment) => (
                      <tr key={segment.key}>
                        <td>
                          <Link to="/segments/$segmentKey" params={{ segmentKey: segment.key }} className="flag-key">
                            {segment.key}
                          </Link>
                        </td>
                        <td>{segment.name}</td>
                        <td>{segment.constraints.length}</td>
                        <td>
                          {segment.usedBy.length === 0
                            ? '—'
                            : segment.usedBy.map((use) => `${use.flagKey} (${use.environment})`).join(', ')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </section>
    </>
  );
}
