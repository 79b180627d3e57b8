import { type Serve, SPLIT_TOTAL_WEIGHT, type Variant } from '@flagline/core';

/** Weights are stored out of 1000 (Unleash's scale); people read and type percentages with one decimal. */
const toPercent = (weight: number) => (weight / 10).toFixed(1);
const fromPercent = (text: string) => Math.max(0, Math.min(SPLIT_TOTAL_WEIGHT, Math.round(Number(text) * 10) || 0));

/** An even split of `variants`, the remainder on the first so the weights add up to exactly 1000. */
export function evenSplit(variants: readonly Variant[]): Serve {
  const share = Math.floor(SPLIT_TOTAL_WEIGHT / variants.length);
  return {
    split: {
      variants: variants.map((variant, i) => ({
        variant: variant.key,
        weight: share + (i === 0 ? SPLIT_TOTAL_WEIGHT - share * variants.length : 0),
      })),
    },
  };
}

/** What a rule or the fallthrough serves: one variant, or a sticky weighted split across variants. */
export function ServeEditor({
  serve,
  variants,
  onChange,
  label,
  readOnly,
}: {
  serve: Serve;
  variants: readonly Variant[];
  onChange: (next: Serve) => void;
  label: string;
  readOnly?: boolean;
}) {
  const first = variants[0]?.key ?? 'on';
  if ('variant' in serve) {
    return (
      <div className="serve form-row">
        <select
          aria-label={`${label}: serve`}
          value={serve.variant}
          disabled={readOnly}
          onChange={(event) => onChange({ variant: event.target.value })}
        >
          {variants.map((variant) => (
            <option key={variant.key} value={variant.key}>
              {variant.key} ({JSON.stringify(variant.value)})
            </option>
          ))}
        </select>
        {readOnly || variants.length < 2 ? null : (
          <button type="button" className="button button-small" onClick={() => onChange(evenSplit(variants))}>
            Split across variants
          </button>
        )}
      </div>
    );
  }
  const total = serve.split.variants.reduce((sum, entry) => sum + entry.weight, 0);
  const weightOf = (key: string) => serve.split.variants.find((entry) => entry.variant === key)?.weight ?? 0;
  const setWeight = (key: string, weight: number) =>
    onChange({
      split: {
        ...serve.split,
        variants: variants.map((variant) => ({
          variant: variant.key,
          weight: variant.key === key ? weight : weightOf(variant.key),
        })),
      },
    });
  return (
    <fieldset className="serve split" disabled={readOnly}>
      <legend>{label}: split</legend>
      {variants.map((variant) => (
        <label key={variant.key} className="split-row">
          <span className="flag-key">{variant.key}</span>
          <input
            type="number"
            step={0.1}
            min={0}
            max={100}
            aria-label={`${label}: weight of ${variant.key} in %`}
            value={toPercent(weightOf(variant.key))}
            onChange={(event) => setWeight(variant.key, fromPercent(event.target.value))}
          />
          %
        </label>
      ))}
      <p className={total === SPLIT_TOTAL_WEIGHT ? 'muted small' : 'error-text small'}>
        Total {toPercent(total)} % {total === SPLIT_TOTAL_WEIGHT ? '' : '— must be 100 %'}
      </p>
      <label className="field-inline">
        Sticky on{' '}
        <input
          aria-label={`${label}: sticky on attribute`}
          placeholder="targetingKey"
          value={serve.split.stickiness ?? ''}
          onChange={(event) => {
            const { stickiness: _dropped, ...rest } = serve.split;
            onChange({ split: event.target.value ? { ...rest, stickiness: event.target.value } : rest });
          }}
        />
      </label>
      {readOnly ? null : (
        <button type="button" className="button button-small" onClick={() => onChange({ variant: first })}>
          Serve one variant instead
        </button>
      )}
    </fieldset>
  );
}
