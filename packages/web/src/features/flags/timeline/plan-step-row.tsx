import { Field, WholeNumberInput } from '../../../components/ui';
import { fieldError } from '../../../lib/errors';
import type { PlanStepDraft } from './plan-draft';

/** One step of the plan being built: when, and what it sets; the server's error for `steps.N.…` shown at its input. */
export function PlanStepRow({
  step,
  index,
  error,
  onChange,
  onRemove,
}: {
  step: PlanStepDraft;
  index: number;
  error: unknown;
  onChange(next: PlanStepDraft): void;
  onRemove(): void;
}) {
  const n = index + 1;
  const at = (field: string) => fieldError(error, `steps.${index}.${field}`);
  return (
    <fieldset className="form-row plan-step" data-testid="plan-step">
      <legend className="visually-hidden">Step {n}</legend>
      <Field label={`Step ${n} at`} className="grow" error={at('scheduledAt')}>
        {(props) => (
          <input
            {...props}
            type="datetime-local"
            value={step.when}
            onChange={(event) => onChange({ ...step, when: event.target.value })}
            required
          />
        )}
      </Field>
      <Field label={`Step ${n} enabled`} error={at('updates.enabled') ?? at('updates')}>
        {(props) => (
          <select
            {...props}
            value={step.enabled}
            onChange={(event) => onChange({ ...step, enabled: event.target.value as PlanStepDraft['enabled'] })}
          >
            <option value="keep">Leave as it is</option>
            <option value="on">Turn on</option>
            <option value="off">Turn off</option>
          </select>
        )}
      </Field>
      <Field label={`Step ${n} rollout %`} error={at('updates.rolloutPercentage')}>
        {(props) => (
          <WholeNumberInput
            {...props}
            min={0}
            max={100}
            value={step.rollout}
            onChange={(event) => onChange({ ...step, rollout: event.target.value })}
          />
        )}
      </Field>
      <div className="field field-submit">
        <button type="button" className="button button-small" onClick={onRemove} aria-label={`Remove step ${n}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}
