import type { ChangeRequest } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { changeRequestQueries } from '../../api/change-requests';
import { POLL_MS } from '../../api/scope';
import { QueryState } from '../../components/query-state';
import { Badge, Empty, ErrorMessage, PageHeader } from '../../components/ui';
import { actorLabel, useTokenNames } from '../../lib/actors';
import { formatAgo, useNow } from '../../lib/time';
import { useSession } from '../session/session';
import { useDocumentTitle } from '../shell/document-title';
import { ChangeDiff } from './change-diff';
import { ProtectionCard } from './protection-card';

const KIND_LABEL: Record<ChangeRequest['change']['kind'], string> = {
  'flag.update': 'Flag state',
  'flag.targeting': 'Targeting',
  'override.set': 'Set override',
  'override.remove': 'Remove override',
  'schedule.create': 'Schedule',
  'plan.create': 'Rollout plan',
  'environment.unprotect': 'Remove protection',
  'config.import': 'Import',
  'flag.variants': 'Variants',
  'flag.delete': 'Delete flag',
};

const STATUS_TONE: Record<ChangeRequest['status'], string> = {
  pending: 'warning',
  applied: 'success',
  rejected: 'neutral',
  failed: 'danger',
  expired: 'neutral',
};

/**
 * The approval inbox: changes to protected environments wait here until someone other than their requester approves
 * (the change is made then) or rejects them. Each shows the diff it would record.
 */
export function ApprovalsPage() {
  const { client, canWrite, me } = useSession();
  useDocumentTitle('Approvals');
  const names = useTokenNames();
  const now = useNow(10_000);
  const queryClient = useQueryClient();
  const pending = useQuery({ ...changeRequestQueries.pending(client), refetchInterval: POLL_MS });
  const recent = useQuery({ ...changeRequestQueries.recent(client), refetchInterval: POLL_MS * 2 });
  const [deciding, setDeciding] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: 'approve' | 'reject' }) =>
      decision === 'approve' ? client.approveChangeRequest(id) : client.rejectChangeRequest(id),
    onMutate: ({ id }) => setDeciding(id),
    onSettled: () => {
      setDeciding(null);
      void queryClient.invalidateQueries();
    },
  });
  const mayDecide = canWrite || me.approver === true;
  const isOwn = (request: ChangeRequest) =>
    request.requestedBy.type === me.actor.type && request.requestedBy.id === me.actor.id;
  return (
    <>
      <PageHeader title="Approvals" />
      <ProtectionCard />
      <section className="card" aria-labelledby="pending-heading">
        <h2 id="pending-heading">Waiting for approval</h2>
        <ErrorMessage error={decide.error} title="Could not decide" />
        <QueryState
          query={pending}
          loading="Loading change requests…"
          errorTitle="Could not load the change requests"
          isEmpty={(items) => items.length === 0}
          empty={
            <Empty>
              <p>Nothing waits for approval.</p>
            </Empty>
          }
        >
          {(items) => (
            <ul className="change-requests">
              {items.map((request) => (
                <li key={request.id} className="change-request" data-change-request={request.id}>
                  <p>
                    <strong>{KIND_LABEL[request.change.kind]}</strong>
                    {request.flagKey ? (
                      <>
                        {' '}
                        of <code>{request.flagKey}</code>
                      </>
                    ) : null}{' '}
                    in <Badge tone="info">{request.environment}</Badge>
                    <span className="muted small">
                      {' '}
                      · requested by {actorLabel(request.requestedBy, names)} {formatAgo(request.requestedAt, now)}
                      {request.expiresAt ? ` · expires ${formatAgo(request.expiresAt, now)}` : ''}
                    </span>
                  </p>
                  <ChangeDiff request={request} />
                  {mayDecide ? (
                    <div className="actions">
                      <button
                        type="button"
                        className="button button-primary button-small"
                        disabled={isOwn(request) || deciding === request.id}
                        title={isOwn(request) ? 'Someone other than the requester approves' : undefined}
                        onClick={() => decide.mutate({ id: request.id, decision: 'approve' })}
                      >
                        Approve
                      </button>{' '}
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        disabled={deciding === request.id}
                        onClick={() => decide.mutate({ id: request.id, decision: 'reject' })}
                      >
                        {isOwn(request) ? 'Withdraw' : 'Reject'}
                      </button>
                      {isOwn(request) ? (
                        <span className="muted small"> Your request: another admin approves it.</span>
                      ) : null}
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </section>
      <section className="card" aria-labelledby="decided-heading">
        <h2 id="decided-heading">Decided</h2>
        <QueryState
          query={recent}
          loading="Loading…"
          errorTitle="Could not load the decided requests"
          isEmpty={(items) => items.length === 0}
          empty={
            <Empty>
              <p>No decisions yet.</p>
            </Empty>
          }
        >
          {(items) => (
            <ul className="change-requests">
              {[...items].reverse().map((request) => (
                <li key={request.id} data-change-request={request.id} data-status={request.status}>
                  <Badge tone={STATUS_TONE[request.status]}>{request.status}</Badge> {KIND_LABEL[request.change.kind]}
                  {request.flagKey ? <code> {request.flagKey}</code> : null} in {request.environment}
                  <span className="muted small">
                    {' '}
                    · by {request.decidedBy ? actorLabel(request.decidedBy, names) : 'system'}
                    {request.decidedAt ? ` ${formatAgo(request.decidedAt, now)}` : ''}
                    {request.error ? ` · ${request.error}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </section>
    </>
  );
}
