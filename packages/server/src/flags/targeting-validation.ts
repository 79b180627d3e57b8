import {
  BOOLEAN_VARIANTS,
  type Constraint,
  type EnvironmentTargeting,
  type FlagType,
  type Rule,
  type Serve,
  SINGLE_VALUE_OPERATORS,
  type Variant,
  variantValueProblem,
} from '@flagline/core';
import { AppError } from '../shared/errors';

/** One reason a configuration cannot be stored: the field (e.g. `rules[2].constraints[0].values`) and why. */
export interface TargetingProblem {
  path: string;
  message: string;
}

/** The variants a flag serves: its declared ones, or a boolean flag's implicit on/off. */
export function effectiveVariants(type: FlagType, variants: readonly Variant[]): readonly Variant[] {
  return variants.length === 0 && type === 'boolean' ? BOOLEAN_VARIANTS : variants;
}

const SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function valueProblem(operator: Constraint['operator'], value: string): string | null {
  if (operator.startsWith('NUM_')) return Number.isFinite(Number(value)) && value.trim() !== '' ? null : 'a number';
  if (operator.startsWith('DATE_')) return Number.isNaN(Date.parse(value)) ? 'an ISO 8601 date-time' : null;
  if (operator.startsWith('SEMVER_')) return SEMVER.test(value) ? null : 'a semantic version such as 1.2.3';
  return null;
}

export function constraintProblems(constraints: readonly Constraint[], at: string): TargetingProblem[] {
  const problems: TargetingProblem[] = [];
  constraints.forEach((constraint, i) => {
    const path = `${at}[${i}].values`;
    if (SINGLE_VALUE_OPERATORS.has(constraint.operator) && constraint.values.length !== 1) {
      problems.push({ path, message: `${constraint.operator} takes exactly one value` });
      return;
    }
    constraint.values.forEach((value, j) => {
      const expected = valueProblem(constraint.operator, value);
      if (expected) problems.push({ path: `${path}[${j}]`, message: `must be ${expected} for ${constraint.operator}` });
    });
  });
  return problems;
}

/** Declared variants checked against the flag's type: unique keys, values of the type, at least one unless boolean. */
export function variantProblems(type: FlagType, variants: readonly Variant[], at = 'variants'): TargetingProblem[] {
  const problems: TargetingProblem[] = [];
  if (type !== 'boolean' && variants.length === 0) {
    problems.push({ path: at, message: `a ${type} flag needs at least one variant` });
  }
  const seen = new Set<string>();
  variants.forEach((variant, i) => {
    if (seen.has(variant.key)) problems.push({ path: `${at}[${i}].key`, message: `"${variant.key}" is used twice` });
    seen.add(variant.key);
    const problem = variantValueProblem(type, variant.value);
    if (problem) problems.push({ path: `${at}[${i}].value`, message: problem });
  });
  return problems;
}

function serveProblems(serve: Serve, variantKeys: ReadonlySet<string>, at: string): TargetingProblem[] {
  if ('variant' in serve) {
    return variantKeys.has(serve.variant)
      ? []
      : [{ path: `${at}.variant`, message: `the flag has no variant "${serve.variant}"` }];
  }
  const problems: TargetingProblem[] = [];
  const seen = new Set<string>();
  serve.split.variants.forEach((weighted, i) => {
    const path = `${at}.split.variants[${i}].variant`;
    if (!variantKeys.has(weighted.variant)) {
      problems.push({ path, message: `the flag has no variant "${weighted.variant}"` });
    } else if (seen.has(weighted.variant)) {
      problems.push({ path, message: `"${weighted.variant}" is in the split twice` });
    }
    seen.add(weighted.variant);
  });
  return problems;
}

function ruleProblems(
  rules: readonly Rule[],
  variantKeys: ReadonlySet<string>,
  segmentKeys: ReadonlySet<string>,
  at: string,
): TargetingProblem[] {
  const problems: TargetingProblem[] = [];
  const ids = new Set<string>();
  rules.forEach((rule, i) => {
    const path = `${at}[${i}]`;
    if (ids.has(rule.id)) problems.push({ path: `${path}.id`, message: `"${rule.id}" is used by another rule` });
    ids.add(rule.id);
    problems.push(...constraintProblems(rule.constraints, `${path}.constraints`));
    rule.segments.forEach((segment, j) => {
      if (!segmentKeys.has(segment)) {
        problems.push({ path: `${path}.segments[${j}]`, message: `segment "${segment}" does not exist` });
      }
    });
    problems.push(...serveProblems(rule.serve, variantKeys, `${path}.serve`));
  });
  return problems;
}

/**
 * What is wrong with (part of) one environment's targeting for a flag of this type and these variants; only the
 * fields given are checked, so a schedule's or a PATCH's fields can be checked on their own. Empty when it can be
 * stored.
 */
export function targetingProblems(input: {
  type: FlagType;
  variants: readonly Variant[];
  targeting: Partial<EnvironmentTargeting>;
  segmentKeys: ReadonlySet<string>;
  /** Prefix for paths, e.g. `updates.` for a schedule's. */
  at?: string;
}): TargetingProblem[] {
  const at = input.at ?? '';
  const variantKeys = new Set(effectiveVariants(input.type, input.variants).map((variant) => variant.key));
  const { offVariant, rules, fallthrough } = input.targeting;
  const problems: TargetingProblem[] = [];
  if (offVariant !== undefined && offVariant !== null && !variantKeys.has(offVariant)) {
    problems.push({ path: `${at}offVariant`, message: `the flag has no variant "${offVariant}"` });
  }
  if (rules) problems.push(...ruleProblems(rules, variantKeys, input.segmentKeys, `${at}rules`));
  if (fallthrough) problems.push(...serveProblems(fallthrough, variantKeys, `${at}fallthrough`));
  return problems;
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
