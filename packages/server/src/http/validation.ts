import type { ZodError } from 'zod';
import { AppError } from '../shared/errors';

const locationNames: Record<string, string> = {
  json: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  form: 'body',
  cookie: 'cookie',
};

/** Turns Zod's issues into `{ location, fields: { name: reason } }` so a client can point at the bad field. */
export function validationError(error: ZodError, target: string): AppError {
  const location = locationNames[target] ?? target;
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].join('.')] = 'unknown field';
      continue;
    }
    const name = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    fields[name] ??= issue.message;
  }
  const summary = Object.entries(fields)
    .map(([name, reason]) => `${name}: ${reason}`)
    .join('; ');
  return new AppError('VALIDATION_FAILED', `Invalid ${location}: ${summary}.`, { location, fields });
}
