import {
  type Constraint,
  type ConstraintOperator,
  constraintOperatorSchema,
  SINGLE_VALUE_OPERATORS,
} from '@flagline/core';

const OPERATOR_LABELS: Record<ConstraintOperator, string> = {
  IN: 'is one of',
  NOT_IN: 'is not one of',
  STR_CONTAINS: 'contains',
  STR_STARTS_WITH: 'starts with',
  STR_ENDS_WITH: 'ends with',
  NUM_EQ: '= (number)',
  NUM_GT: '> (number)',
  NUM_GTE: '≥ (number)',
  NUM_LT: '< (number)',
  NUM_LTE: '≤ (number)',
  DATE_AFTER: 'is after (date)',
  DATE_BEFORE: 'is before (date)',
  SEMVER_EQ: '= (semver)',
  SEMVER_GT: '> (semver)',
  SEMVER_GTE: '≥ (semver)',
  SEMVER_LT: '< (semver)',
  SEMVER_LTE: '≤ (semver)',
};

/** Values are typed one per line, so a value may hold commas (Unleash's lists allow them too). */
const valuesToText = (values: readonly string[]) => values.join('\n');
const textToValues = (text: string) => text.split('\n');

/** One constraint: attribute, operator, values, and the two switches. */
export function ConstraintEditor({
  constraint,
  onChange,
  onRemove,
  label,
  readOnly,
}: {
  constraint: Constraint;
  onChange: (next: Constraint) => void;
  onRemove: () => void;
  /** e.g. "Rule 2, constraint 1": names the controls for screen readers and tests. */
  label: string;
  readOnly?: boolean;
}) {
  const single = SINGLE_VALUE_OPERATORS.has(constraint.operator);
  return (
    <fieldset className="constraint" disabled={readOnly}>
      <legend className="visually-hidden">{label}</legend>
      <input
        className="constraint-control"
        aria-label={`${label}: attribute`}
        placeholder="attribute, e.g. plan or account.country"
        value={constraint.attribute}
        maxLength={200}
        onChange={(event) => onChange({ ...constraint, attribute: event.target.value })}
      />
      <select
        className="constraint-control"
        aria-label={`${label}: operator`}
        value={constraint.operator}
        onChange={(event) => {
          const operator = constraintOperatorSchema.parse(event.target.value);
          const values = SINGLE_VALUE_OPERATORS.has(operator) ? constraint.values.slice(0, 1) : constraint.values;
          onChange({ ...constraint, operator, values });
        }}
      >
        {constraintOperatorSchema.options.map((operator) => (
          <option key={operator} value={operator}>
            {OPERATOR_LABELS[operator]}
          </option>
        ))}
      </select>
      {single ? (
        <input
          className="constraint-control"
          aria-label={`${label}: value`}
          placeholder={constraint.operator.startsWith('DATE') ? '2027-01-01T00:00:00Z' : 'value'}
          value={constraint.values[0] ?? ''}
          onChange={(event) => onChange({ ...constraint, values: [event.target.value] })}
        />
      ) : (
        <textarea
          aria-label={`${label}: values, one per line`}
          placeholder="one value per line"
          rows={Math.min(6, Math.max(2, constraint.values.length))}
          value={valuesToText(constraint.values)}
          onChange={(event) => onChange({ ...constraint, values: textToValues(event.target.value) })}
        />
      )}
      <label className="checkbox">
        <input
          type="checkbox"
          checked={constraint.inverted ?? false}
          onChange={(event) => onChange({ ...constraint, inverted: event.target.checked })}
        />
        not
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={constraint.caseInsensitive ?? false}
          onChange={(event) => onChange({ ...constraint, caseInsensitive: event.target.checked })}
        />
        ignore case
      </label>
      {readOnly ? null : (
        <button type="button" className="button button-small" aria-label={`Remove ${label}`} onClick={onRemove}>
          Remove
        </button>
      )}
    </fieldset>
  );
}

export const emptyConstraint = (): Constraint => ({ attribute: '', operator: 'IN', values: [] });

/** A list of constraints, all of which must hold. */
export function ConstraintList({
  constraints,
  onChange,
  label,
  readOnly,
}: {
  constraints: readonly Constraint[];
  onChange: (next: Constraint[]) => void;
  label: string;
  readOnly?: boolean;
}) {
  return (
    <div className="constraints">
      {constraints.length === 0 ? <p className="muted small">No constraints: every context matches.</p> : null}
      {constraints.map((constraint, index) => (
        <ConstraintEditor
          // Constraints have no id; their position is their identity while editing.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={index}
          label={`${label}, constraint ${index + 1}`}
          constraint={constraint}
          readOnly={readOnly}
          onChange={(next) => onChange(constraints.map((c, i) => (i === index ? next : c)))}
          onRemove={() => onChange(constraints.filter((_, i) => i !== index))}
        />
      ))}
      {readOnly ? null : (
        <button
          type="button"
          className="button button-small"
          onClick={() => onChange([...constraints, emptyConstraint()])}
        >
          Add constraint
        </button>
      )}
    </div>
  );
}
