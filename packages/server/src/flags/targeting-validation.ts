import {
  BOOLEAN_VARIANTS,
  type Constraint,
  type EnvironmentTargeting,
  type FlagType,
  type TargetingProblem,
  type Variant,
  validateFlagTargeting,
  validateSegment,
} from '@flagline/core';
import { AppError } from '../shared/errors';

/** The variants a flag serves: its declared ones, or a boolean flag's implicit on/off. */
export function effectiveVariants(type: FlagType, variants: readonly Variant[]): readonly Variant[] {
  return variants.length === 0 && type === 'boolean' ? BOOLEAN_VARIANTS : variants;
}

/**
 * The engine's dotted paths (`targeting.rules.2.constraints.0.values`) as the API names fields in a body:
 * `rules[2].constraints[0].values`, behind `at` (e.g. `updates.` for a schedule's).
 */
function fieldPath(path: string, at: string): string {
  return at + path.replace(/^targeting\./, '').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

const EMPTY_TARGETING: EnvironmentTargeting = {
  enabled: false,
  rolloutPercentage: 0,
  offVariant: null,
  rules: [],
  fallthrough: null,
};

/** What is wrong with an environment's whole targeting for this flag (the engine's checks), as body field paths. */
export function targetingProblems(input: {
  type: FlagType;
  variants: readonly Variant[];
  targeting: EnvironmentTargeting;
  segmentKeys: ReadonlySet<string>;
  at?: string;
}): TargetingProblem[] {
  return validateFlagTargeting(input).map((problem) => ({
    path: fieldPath(problem.path, input.at ?? ''),
    message: problem.message,
  }));
}

/** Declared variants checked against the flag's type: unique keys, values of the type, at least one unless boolean. */
export function variantProblems(type: FlagType, variants: readonly Variant[]): TargetingProblem[] {
  return validateFlagTargeting({ type, variants, targeting: EMPTY_TARGETING, segmentKeys: [] })
    .filter((problem) => problem.path === 'variants' || problem.path.startsWith('variants.'))
    .map((problem) => ({ path: fieldPath(problem.path, ''), message: problem.message }));
}

export function segmentProblems(constraints: readonly Constraint[]): TargetingProblem[] {
  return validateSegment({ constraints: [...constraints] }).map((problem) => ({
    path: fieldPath(problem.path, ''),
    message: problem.message,
  }));
}

/** VALIDATION_FAILED naming every problem's field: the design's 400 for input that parses but does not fit. */
export function targetingValidationError(problems: readonly TargetingProblem[]): AppError {
  const fields: Record<string, string> = {};
  for (const problem of problems) fields[problem.path] ??= problem.message;
  const summary = Object.entries(fields)
    .map(([path, message]) => `${path}: ${message}`)
    .join('; ');
  return new AppError('VALIDATION_FAILED', `Invalid body: ${summary}.`, { location: 'body', fields });
}

/** Throws the 400 when there is any problem. */
export function assertNoProblems(problems: readonly TargetingProblem[]): void {
  if (problems.length > 0) throw targetingValidationError(problems);
}
