import { ChangeRequestPending, FlaglineApiError } from '@flagline/sdk';

export interface DescribedError {
  message: string;
  /** Field name → reason, from a VALIDATION_FAILED answer's details. */
  fields: Record<string, string>;
  code: string | undefined;
  requestId: string | undefined;
}

/** The API's error shape, made readable: its message, the fields at fault, and the request id for the logs. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof ChangeRequestPending) {
    return {
      message: `${error.message} Nothing changed yet: another admin approves it on the Approvals page.`,
      fields: {},
      code: 'CHANGE_REQUESTED',
      requestId: undefined,
    };
  }
  if (error instanceof FlaglineApiError) {
    const raw = error.details?.fields;
    const fields: Record<string, string> = {};
    if (raw && typeof raw === 'object') {
      for (const [name, reason] of Object.entries(raw)) fields[name] = String(reason);
    }
    const message =
      error.code === 'NETWORK'
        ? 'Flagline could not be reached. Check your connection; the page retries by itself.'
        : error.code === 'PRECONDITION_FAILED'
          ? `${error.message} Someone else changed this in the meantime; the page now shows the current values.`
          : error.message;
    return { message, fields, code: error.code, requestId: error.requestId };
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    fields: {},
    code: undefined,
    requestId: undefined,
  };
}

export const isApiError = (error: unknown, code: string): boolean =>
  error instanceof FlaglineApiError && error.code === code;

/** The reason a field was rejected, if the error names it (by its own name or a nested path under it). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!error) return undefined;
  const { fields } = describeError(error);
  if (fields[field]) return fields[field];
  const nested = Object.entries(fields).find(([name]) => name.startsWith(`${field}.`));
  return nested?.[1];
}
