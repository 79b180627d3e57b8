import { ConfigError, StartupError } from './config';
import { errorTextWithoutParameters } from './db/redaction';
import { AppError } from './shared/errors';

const firstLine = (text: string) => text.split('\n')[0] ?? text;

/**
 * What the CLI prints when a command fails: one line naming the variable and the cause for problems the operator can
 * fix, the first line of the message otherwise. Stacks (with their causes) only at debug level.
 */
export function describeFatal(error: unknown, debug: boolean): string {
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof AppError;
  const message = error instanceof Error ? error.message : String(error);
  let text = `flagline: ${known ? message : firstLine(message)}\n`;
  // The stack with its causes, less the parameters of a failed query (Drizzle writes them into its message).
  if (debug) text += `${errorTextWithoutParameters(error)}\n`;
  return text;
}
