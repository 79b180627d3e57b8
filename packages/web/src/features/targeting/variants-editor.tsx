import { type FlagType, type Variant, variantValueProblem } from '@flagline/core';
import { useState } from 'react';

/** How a value is typed in: strings as they are, everything else as JSON. */
const valueToText = (type: FlagType, value: Variant['value']) =>
  type === 'string' && typeof value === 'string' ? value : JSON.stringify(value, null, type === 'json' ? 2 : 0);

function textToValue(type: FlagType, text: string): { value?: Variant['value']; problem?: string } {
  if (type === 'string') return { value: text };
  try {
    const value = JSON.parse(text) as Variant['value'];
    const problem = variantValueProblem(type, value);
    return problem ? { problem: `Value ${problem}` } : { value };
  } catch {
    return { problem: type === 'number' ? 'Value must be a number' : 'Value must be valid JSON' };
  }
}

/** One variant's value, kept as text while it does not parse so typing is never interrupted. */
function VariantValue({
  type,
  variant,
  onChange,
  readOnly,
}: {
  type: FlagType;
  variant: Variant;
  onChange: (value: Variant['value']) => void;
  readOnly?: boolean;
}) {
  const [text, setText] = useState(() => valueToText(type, variant.value));
  const parsed = textToValue(type, text);
  const label = `Value of variant ${variant.key}`;
  return (
    <div>
      {type === 'json' ? (
        <textarea
          aria-label={label}
          rows={4}
          className="json"
          value={text}
          readOnly={readOnly}
          onChange={(event) => {
            setText(event.target.value);
            const next = textToValue(type, event.target.value);
            if (next.value !== undefined) onChange(next.value);
          }}
        />
      ) : type === 'boolean' ? (
        <select
          aria-label={label}
          value={String(variant.value)}
          disabled={readOnly}
          onChange={(event) => onChange(event.target.value === 'true')}
        >
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : (
        <input
          aria-label={label}
          value={text}
          readOnly={readOnly}
          inputMode={type === 'number' ? 'decimal' : undefined}
          onChange={(event) => {
            setText(event.target.value);
            const next = textToValue(type, event.target.value);
            if (next.value !== undefined) onChange(next.value);
          }}
        />
      )}
      {parsed.problem ? <div className="field-error">{parsed.problem}</div> : null}
    </div>
  );
}

export const defaultValueFor = (type: FlagType): Variant['value'] =>
  type === 'boolean' ? true : type === 'string' ? '' : type === 'number' ? 0 : {};

/** The flag's named variants (flag-wide: every environment serves from the same list). */
export function VariantsEditor({
  type,
  variants,
  onChange,
  readOnly,
}: {
  type: FlagType;
  variants: readonly Variant[];
  onChange: (next: Variant[]) => void;
  readOnly?: boolean;
}) {
  const [newKey, setNewKey] = useState('');
  const taken = variants.some((variant) => variant.key === newKey);
  return (
    <div className="variants">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Value</th>
            <th scope="col">Description</th>
            {readOnly ? null : <th scope="col" aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {variants.map((variant) => (
            <tr key={variant.key}>
              <th scope="row" className="flag-key">
                {variant.key}
              </th>
              <td>
                <VariantValue
                  type={type}
                  variant={variant}
                  readOnly={readOnly}
                  onChange={(value) => onChange(variants.map((v) => (v.key === variant.key ? { ...v, value } : v)))}
                />
              </td>
              <td>
                <input
                  aria-label={`Description of variant ${variant.key}`}
                  value={variant.description ?? ''}
                  maxLength={500}
                  readOnly={readOnly}
                  onChange={(event) =>
                    onChange(
                      variants.map((v) => (v.key === variant.key ? { ...v, description: event.target.value } : v)),
                    )
                  }
                />
              </td>
              {readOnly ? null : (
                <td>
                  <button
                    type="button"
                    className="button button-small"
                    aria-label={`Remove variant ${variant.key}`}
                    onClick={() => onChange(variants.filter((v) => v.key !== variant.key))}
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {readOnly ? null : (
        <div className="form-row">
          <input
            aria-label="New variant name"
            placeholder="new variant, e.g. blue"
            value={newKey}
            maxLength={100}
            onChange={(event) => setNewKey(event.target.value.trim())}
          />
          <button
            type="button"
            className="button button-small"
            disabled={!newKey || taken}
            onClick={() => {
              onChange([...variants, { key: newKey, value: defaultValueFor(type) }]);
              setNewKey('');
            }}
          >
            Add variant
          </button>
          {taken ? <span className="error-text small">A variant has that name already.</span> : null}
        </div>
      )}
    </div>
  );
}
