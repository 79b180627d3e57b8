import type { Plan } from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { planQueries } from '../../../api/plans';
import { scheduleQueries } from '../../../api/schedules';
import { QueryState } from '../../../components/query-state';
import { Badge, ConfirmDialog, ErrorMessage } from '../../../components/ui';
import { formatLocal } from '../../../lib/time';
import { describeUpdates } from '../../schedules/describe-updates';
import { useSession } from '../../session/session';

const TONES: Record<Plan['status'], string> = {
  active: 'info',
  paused: 'warning',
  completed: 'success',
  cancelled: 'neutral',
};

type PlanAction = 'pause' | 'resume' | 'cancel';

/** The flag's rollout plans in the environment, each with its steps, paused, resumed or cancelled as a unit. */
export function PlansList({ flagKey }: { flagKey: string }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const plans = useQuery(planQueries.forFlag(session, flagKey));
  const [cancelling, setCancelling] = useState<Plan | null>(null);
  const act = useMutation({
    mutationFn: ({ action, plan }: { action: PlanAction; plan: Plan }) => {
      const { client } = session;
      if (action === 'pause') return client.pausePlan(flagKey, plan.id);
      if (action === 'resume') return client.resumePlan(flagKey, plan.id);
      return client.cancelPlan(flagKey, plan.id);
    },
    onSuccess: () => {
      setCancelling(null);
      void queryClient.invalidateQueries({ queryKey: planQueries.all() });
      void queryClient.invalidateQueries({ queryKey: scheduleQueries.all() });
    },
  });
  return (
    <section aria-labelledby="plans-heading">
      <h3 id="plans-heading">Rollout plans</h3>
      {cancelling ? null : <ErrorMessage error={act.error} title="Not done" />}
      <QueryState
        query={plans}
        loading="Loading plans…"
        errorTitle="Could not load the plans"
        isEmpty={(items) => items.length === 0}
        empty={<p className="muted">No plans for this flag here.</p>}
      >
        {(items) => (
          <ul className="plans">
            {items.map((plan) => (
              <li key={plan.id} data-plan={plan.name ?? plan.id} data-status={plan.status}>
                <strong>{plan.name ?? 'Unnamed plan'}</strong> <Badge tone={TONES[plan.status]}>{plan.status}</Badge>
                <ol className="small">
                  {plan.steps.map((step) => (
                    <li key={step.id}>
                      {formatLocal(step.scheduledAt)}: {describeUpdates(step.updates)}{' '}
                      <span className="muted">({step.status})</span>
                    </li>
                  ))}
                </ol>
                <PlanActions
                  plan={plan}
                  busy={act.isPending}
                  onAction={(action) => act.mutate({ action, plan })}
                  onCancel={() => setCancelling(plan)}
                />
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      <ConfirmDialog
        open={cancelling !== null}
        title="Cancel the plan?"
        confirmLabel="Cancel the plan"
        tone="danger"
        busy={act.isPending}
        error={act.error}
        onConfirm={() => cancelling && act.mutate({ action: 'cancel', plan: cancelling })}
        onCancel={() => {
          setCancelling(null);
          act.reset();
        }}
      >
        <p>Its pending steps are cancelled and never apply; steps already applied stay applied.</p>
      </ConfirmDialog>
    </section>
  );
}

function PlanActions({
  plan,
  busy,
  onAction,
  onCancel,
}: {
  plan: Plan;
  busy: boolean;
  onAction(action: 'pause' | 'resume'): void;
  onCancel(): void;
}) {
  if (plan.status !== 'active' && plan.status !== 'paused') return null;
  const label = plan.name ?? 'the plan';
  const next = plan.status === 'active' ? 'pause' : 'resume';
  const verb = next === 'pause' ? 'Pause' : 'Resume';
  return (
    <div className="actions">
      <button
        type="button"
        className="button button-small"
        disabled={busy}
        onClick={() => onAction(next)}
        aria-label={`${verb} ${label}`}
      >
        {verb}
      </button>
      <button
        type="button"
        className="button button-small button-danger-outline"
        disabled={busy}
        onClick={onCancel}
        aria-label={`Cancel ${label}`}
      >
        Cancel plan
      </button>
    </div>
  );
}
