import { sqlState } from '../shared/errors';

/** Node's and node-postgres's ways of saying the server could not be reached (yet): worth retrying. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
]);
const UNREACHABLE_MESSAGE = /timeout expired|Connection terminated|connect ETIMEDOUT|socket hang up/i;

/** SQLSTATEs a starting, overloaded or failing-over server answers with: retrying can help. */
const TRANSIENT_SQLSTATE = /^(08|57P0[1-3]|53300)/;

export interface ConnectionProblem {
  /** Whether waiting could fix it (the server is down or starting), as opposed to a wrong role, password or database. */
  retry: boolean;
  /** One line for the operator, naming the server but never the password. */
  reason: string;
}

function where(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.slice(1)) || '(default database)';
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'} (database ${database})`;
  } catch {
    return 'PostgreSQL';
  }
}

/** The innermost error message (drivers and ORMs wrap the server's), first line only. */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  let message = String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message.split('\n')[0] ?? message;
}

function errnoCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    // AggregateError (a host with IPv4 and IPv6 addresses) keeps each attempt's error in `errors`
    const inner = (current as { errors?: unknown }).errors;
    current = Array.isArray(inner) && inner.length > 0 ? inner[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies a failure to connect to PostgreSQL at start-up. */
export function connectionProblem(url: string, error: unknown): ConnectionProblem {
  const server = where(url);
  const state = sqlState(error);
  const errno = errnoCode(error);
  const message = rootMessage(error);
  if (state !== undefined) {
    const retry = TRANSIENT_SQLSTATE.test(state);
    if (state === '28000' || state === '28P01') {
      return { retry, reason: `${server} refused the login: ${message} (SQLSTATE ${state})` };
    }
    if (state === '3D000') return { retry, reason: `${server}: ${message} (SQLSTATE ${state})` };
    return { retry, reason: `${server} answered: ${message} (SQLSTATE ${state})` };
  }
  if ((errno && UNREACHABLE_CODES.has(errno)) || UNREACHABLE_MESSAGE.test(message)) {
    return { retry: true, reason: `cannot reach ${server}: ${message}` };
  }
  return { retry: false, reason: `cannot connect to ${server}: ${message}` };
}
