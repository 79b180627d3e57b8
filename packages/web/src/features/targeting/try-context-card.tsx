import { compileFlag, type EvaluationContext, evaluateFlag, type RulesetFlag, type Segment } from '@flagline/core';
import { useId, useMemo, useState } from 'react';

const EXAMPLE_CONTEXT = '{\n  "targetingKey": "user-123",\n  "plan": "pro",\n  "country": "DE"\n}';

function parseContext(text: string): { context?: EvaluationContext; problem?: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { problem: 'The context must be a JSON object, e.g. { "targetingKey": "user-1", "plan": "pro" }' };
    }
    return { context: value as EvaluationContext };
  } catch (error) {
    return { problem: `Not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * "Try a context": evaluates the flag as it is being edited (unsaved changes included) with the same core code the
 * server and the SDKs run, so what it shows is what they will answer.
 */
export function TryContextCard({ flag, segments }: { flag: RulesetFlag; segments: readonly Segment[] }) {
  const [text, setText] = useState(EXAMPLE_CONTEXT);
  const inputId = useId();
  const compiled = useMemo(
    () => compileFlag(flag, new Map(segments.map((segment) => [segment.key, segment]))),
    [flag, segments],
  );
  const parsed = parseContext(text);
  const result = parsed.context ? evaluateFlag(compiled, parsed.context) : undefined;
  return (
    <section className="card" aria-labelledby={`${inputId}-heading`}>
      <h2 id={`${inputId}-heading`}>Try a context</h2>
      <div className="field">
        <label htmlFor={inputId}>Evaluation context (JSON)</label>
        <textarea
          id={inputId}
          className="json"
          rows={6}
          value={text}
          spellCheck={false}
          onChange={(event) => setText(event.target.value)}
        />
        <div className="hint">
          The targeting key is the user id; other attributes are what your rules name. Unsaved edits are included.
        </div>
      </div>
      {parsed.problem ? <p className="error-text">{parsed.problem}</p> : null}
      {result ? (
        <dl className="facts" aria-label="Evaluation result">
          <dt>Value</dt>
          <dd>
            <code>{JSON.stringify(result.value)}</code>
          </dd>
          <dt>Variant</dt>
          <dd className="flag-key">{result.variant}</dd>
          <dt>Reason</dt>
          <dd>{result.reason}</dd>
          {result.errorCode ? (
            <>
              <dt>Error</dt>
              <dd className="error-text">
                {result.errorCode}
                {result.errorMessage ? `: ${result.errorMessage}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
    </section>
  );
}
