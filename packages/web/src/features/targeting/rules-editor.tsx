import type { Rule, Variant } from '@flagline/core';
import { ConstraintList } from './constraint-editor';
import { ServeEditor } from './serve-editor';

/** A short random id: rules keep it across reorders so the audit diff can follow them. */
const newRuleId = () => `rule-${crypto.randomUUID().slice(0, 8)}`;

export function newRule(variants: readonly Variant[]): Rule {
  return { id: newRuleId(), constraints: [], segments: [], serve: { variant: variants[0]?.key ?? 'on' } };
}

function move<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

/** One rule: its constraints, the segments it requires, an optional rollout, and what it serves. */
function RuleEditor({
  rule,
  index,
  variants,
  segmentKeys,
  onChange,
  readOnly,
}: {
  rule: Rule;
  index: number;
  variants: readonly Variant[];
  segmentKeys: readonly string[];
  onChange: (next: Rule) => void;
  readOnly?: boolean;
}) {
  const label = `Rule ${index + 1}`;
  const toggleSegment = (key: string, on: boolean) =>
    onChange({ ...rule, segments: on ? [...rule.segments, key] : rule.segments.filter((s) => s !== key) });
  return (
    <>
      <input
        className="rule-description"
        aria-label={`${label}: description`}
        placeholder="What this rule is for"
        value={rule.description ?? ''}
        maxLength={500}
        disabled={readOnly}
        onChange={(event) => {
          const { description: _dropped, ...rest } = rule;
          onChange(event.target.value ? { ...rest, description: event.target.value } : rest);
        }}
      />
      <ConstraintList
        label={label}
        constraints={rule.constraints}
        readOnly={readOnly}
        onChange={(constraints) => onChange({ ...rule, constraints })}
      />
      {segmentKeys.length > 0 || rule.segments.length > 0 ? (
        <fieldset className="segments-picker" disabled={readOnly}>
          <legend>{label}: segments (every one must match)</legend>
          {[...new Set([...segmentKeys, ...rule.segments])].map((key) => (
            <label key={key} className="checkbox">
              <input
                type="checkbox"
                checked={rule.segments.includes(key)}
                onChange={(event) => toggleSegment(key, event.target.checked)}
              />
              <span className="flag-key">{key}</span>
              {segmentKeys.includes(key) ? null : <span className="error-text"> (no such segment)</span>}
            </label>
          ))}
        </fieldset>
      ) : null}
      <label className="field-inline">
        <input
          type="checkbox"
          checked={rule.rollout !== undefined}
          disabled={readOnly}
          onChange={(event) => {
            const { rollout: _dropped, ...rest } = rule;
            onChange(event.target.checked ? { ...rest, rollout: { percentage: 50 } } : rest);
          }}
        />
        Only part of the matching contexts
      </label>
      {rule.rollout ? (
        <label className="field-inline">
          <input
            type="number"
            min={0}
            max={100}
            step={1}
            aria-label={`${label}: rollout percentage`}
            value={rule.rollout.percentage}
            disabled={readOnly}
            onChange={(event) =>
              onChange({
                ...rule,
                rollout: {
                  ...rule.rollout,
                  percentage: Math.max(0, Math.min(100, Math.round(Number(event.target.value) || 0))),
                },
              })
            }
          />
          % take this rule; the rest go on to the next rule
        </label>
      ) : null}
      <ServeEditor
        label={`${label} serves`}
        serve={rule.serve}
        variants={variants}
        readOnly={readOnly}
        onChange={(serve) => onChange({ ...rule, serve })}
      />
    </>
  );
}

/** The ordered rules of one environment: first match wins. */
export function RulesEditor({
  rules,
  variants,
  segmentKeys,
  onChange,
  readOnly,
}: {
  rules: readonly Rule[];
  variants: readonly Variant[];
  segmentKeys: readonly string[];
  onChange: (next: Rule[]) => void;
  readOnly?: boolean;
}) {
  return (
    <ol className="rules">
      {rules.map((rule, index) => (
        <li key={rule.id} className="subcard rule" aria-label={`Rule ${index + 1}`}>
          <div className="card-header">
            <h3>Rule {index + 1}</h3>
            {readOnly ? null : (
              <div className="actions">
                <button
                  type="button"
                  className="button button-small"
                  disabled={index === 0}
                  aria-label={`Move rule ${index + 1} up`}
                  onClick={() => onChange(move(rules, index, index - 1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button button-small"
                  disabled={index === rules.length - 1}
                  aria-label={`Move rule ${index + 1} down`}
                  onClick={() => onChange(move(rules, index, index + 1))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  aria-label={`Remove rule ${index + 1}`}
                  onClick={() => onChange(rules.filter((r) => r.id !== rule.id))}
                >
                  Remove
                </button>
              </div>
            )}
          </div>
          <RuleEditor
            rule={rule}
            index={index}
            variants={variants}
            segmentKeys={segmentKeys}
            readOnly={readOnly}
            onChange={(next) => onChange(rules.map((r) => (r.id === rule.id ? next : r)))}
          />
        </li>
      ))}
      {readOnly ? null : (
        <li className="rule-add">
          <button type="button" className="button" onClick={() => onChange([...rules, newRule(variants)])}>
            Add rule
          </button>
        </li>
      )}
    </ol>
  );
}
