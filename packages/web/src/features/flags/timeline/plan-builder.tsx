import type { FlagView, OnConflict, Plan } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { conflictsOf, planQueries } from '../../../api/plans';
import { scheduleQueries } from '../../../api/schedules';
import { ErrorMessage, Field } from '../../../components/ui';
import { fieldError } from '../../../lib/errors';
import { localTimeZone } from '../../../lib/time';
import { ConflictDialog } from '../../schedules/conflict-dialog';
import { useSession } from '../../session/session';
import { nextStep, type PlanStepDraft, planBody } from './plan-draft';
import { PlanStepRow } from './plan-step-row';

/**
 * Builds a rollout plan step by step; the timeline above draws the steps as they are edited (`onStepsChange`). Saving
 * sends onConflict=reject, so a collision with pending schedules is confirmed before anything is created.
 */
export function PlanBuilder({
  flag,
  steps,
  onStepsChange,
}: {
  flag: FlagView;
  steps: PlanStepDraft[];
  onStepsChange(steps: PlanStepDraft[]): void;
}) {
  const session = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [saved, setSaved] = useState<Plan | null>(null);
  const save = useMutation({
    mutationFn: (onConflict: OnConflict) =>
      session.client.createPlan(flag.key, planBody(name, steps), { environment: session.environment, onConflict }),
    onSuccess: ({ plan }) => {
      setSaved(plan);
      setName('');
      onStepsChange([]);
      void queryClient.invalidateQueries({ queryKey: planQueries.all() });
      void queryClient.invalidateQueries({ queryKey: scheduleQueries.all() });
    },
  });
  const conflicts = conflictsOf(save.error);
  const edit = (next: PlanStepDraft[]) => {
    onStepsChange(next);
    save.reset();
    setSaved(null);
  };
  // The dialog stays outside the form: its own form's submit would otherwise bubble to this one.
  return (
    <>
      <form
        className="subcard"
        aria-labelledby="plan-builder-heading"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate('reject');
        }}
      >
        <h3 id="plan-builder-heading">Build a rollout plan</h3>
        <p className="muted small">
          Steps apply in order at their times ({localTimeZone()}); the chart shows them before you save.
        </p>
        {steps.map((step, index) => (
          <PlanStepRow
            key={step.id}
            step={step}
            index={index}
            error={save.error}
            onChange={(next) => edit(steps.map((s) => (s.id === step.id ? next : s)))}
            onRemove={() => edit(steps.filter((s) => s.id !== step.id))}
          />
        ))}
        <div className="form-row">
          <button type="button" className="button" onClick={() => edit([...steps, nextStep(steps, Date.now())])}>
            Add step
          </button>
        </div>
        {steps.length > 0 ? (
          <div className="form-row">
            <Field label="Plan name (optional)" className="grow" error={fieldError(save.error, 'name')}>
              {(props) => <input {...props} value={name} onChange={(event) => setName(event.target.value)} />}
            </Field>
            <div className="field field-submit">
              <button type="submit" className="button button-primary" disabled={save.isPending}>
                {save.isPending ? 'Saving…' : `Save plan (${steps.length} step${steps.length === 1 ? '' : 's'})`}
              </button>
            </div>
          </div>
        ) : null}
        {conflicts ? null : <ErrorMessage error={save.error} title="Plan not saved" />}
        {saved ? (
          <p className="notice notice-success" role="status">
            Saved the plan{saved.name ? ` “${saved.name}”` : ''} with {saved.steps.length} step
            {saved.steps.length === 1 ? '' : 's'}.
          </p>
        ) : null}
      </form>
      <ConflictDialog
        conflicts={conflicts}
        subject="This plan"
        busy={save.isPending}
        onConfirm={() => save.mutate(undefined)}
        onCancel={() => save.reset()}
      />
    </>
  );
}
