import pino from 'pino';

const REDACTED = '[redacted]';
/** Shorter values (ids, numbers, booleans) are not worth hiding, and replacing them would garble the stack's line numbers. */
const MIN_REDACTED_LENGTH = 6;
const MAX_CAUSE_DEPTH = 8;

/**
 * Every query parameter in the error's cause chain: Drizzle's DrizzleQueryError and PGlite's errors both carry
 * `params`, which hold whatever the query bound (a webhook's secret, a token's hash, a user's id).
 */
function boundParameters(error: unknown): { lists: string[]; values: string[] } {
  const lists: string[] = [];
  const values = new Set<string>();
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== null && typeof current === 'object'; depth++) {
    const params = (current as { params?: unknown }).params;
    if (Array.isArray(params)) {
      // How DrizzleQueryError spells them in its message: "params: a,b,c".
      lists.push(`params: ${String(params)}`);
      for (const param of params) {
        const text = parameterText(param);
        if (text !== undefined && text.length >= MIN_REDACTED_LENGTH) values.add(text);
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  // Longest first, so a value containing another is hidden whole.
  return { lists, values: [...values].sort((a, b) => b.length - a.length) };
}

/**
 * A bound value as it may appear in an error's text. Never throws: this runs inside the logger, where an exception
 * would escape the code that was only reporting a failure (a bigint transaction id made JSON.stringify throw, and a
 * sealer that lost its connection took the process down while logging it).
 */
function parameterText(param: unknown): string | undefined {
  if (typeof param === 'string') return param;
  if (typeof param === 'bigint') return param.toString();
  try {
    return JSON.stringify(param);
  } catch {
    return String(param);
  }
}

/** Row values PostgreSQL quotes in `detail`: "Key (token_hash)=(…) already exists", "Failing row contains (…)". */
function redactDetail(detail: string): string {
  return detail.replace(/\)=\(.*\)/s, `)=(${REDACTED})`).replace(/(Failing row contains )\(.*\)/s, `$1(${REDACTED})`);
}

/**
 * pino's error serializer, minus the query parameters a failed query carries: they are dropped from the error's
 * fields and blanked wherever they appear in its text (Drizzle writes them into the message, and the database often
 * quotes the bad value in its own). The SQL text, SQLSTATE and stack stay, which is what debugging needs.
 */
function redactedError(error: Error): Record<string, unknown> {
  const { lists, values } = boundParameters(error);
  const serialized: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  delete serialized.params;
  delete serialized.queryOptions;
  const scrub = (text: string) => {
    let result = text;
    for (const list of lists) result = result.replaceAll(list, `params: ${REDACTED}`);
    for (const value of values) result = result.replaceAll(value, REDACTED);
    return result;
  };
  for (const [key, value] of Object.entries(serialized)) {
    if (typeof value === 'string') serialized[key] = scrub(key === 'detail' ? redactDetail(value) : value);
  }
  return serialized;
}

/** The `err` serializer of Flagline's logger. */
export function serializeErrorWithoutParameters(error: unknown): unknown {
  return error instanceof Error ? redactedError(error) : error;
}

/** The error's stack (with its causes) as text for a terminal, without the parameters of a failed query. */
export function errorTextWithoutParameters(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { stack, message } = redactedError(error);
  return String(stack ?? message);
}
