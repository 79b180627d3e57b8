import { cleanValues } from './operators';
import {
  type Constraint,
  type EnvironmentTargeting,
  type FlagType,
  type Segment,
  type Serve,
  SINGLE_VALUE_OPERATORS,
  type Variant,
  variantValueProblem,
} from './schemas';
import { parseSemver } from './semver';

export interface TargetingProblem {
  /** Dotted path of the offending field, e.g. `targeting.rules.0.constraints.1.values`. */
  readonly path: string;
  readonly message: string;
}

function constraintProblems(constraint: Constraint, path: string): TargetingProblem[] {
  const problems: TargetingProblem[] = [];
  const { operator, values } = constraint;
  if (SINGLE_VALUE_OPERATORS.has(operator)) {
    if (values.length !== 1) {
      problems.push({ path: `${path}.values`, message: `${operator} takes exactly one value, got ${values.length}` });
      return problems;
    }
    const value = values[0] ?? '';
    if (operator.startsWith('NUM_') && (value.trim() === '' || Number.isNaN(Number(value)))) {
      problems.push({ path: `${path}.values.0`, message: `"${value}" is not a number` });
    }
    if (operator.startsWith('DATE_') && Number.isNaN(new Date(value).getTime())) {
      problems.push({ path: `${path}.values.0`, message: `"${value}" is not a date (use ISO 8601)` });
    }
    if (operator.startsWith('SEMVER_') && parseSemver(value) === null) {
      problems.push({ path: `${path}.values.0`, message: `"${value}" is not a semantic version such as 1.2.3` });
    }
  } else if (cleanValues(values).length === 0) {
    problems.push({ path: `${path}.values`, message: `${operator} needs at least one non-empty value` });
  }
  return problems;
}

function constraintsProblems(constraints: readonly Constraint[], path: string): TargetingProblem[] {
  return constraints.flatMap((constraint, index) => constraintProblems(constraint, `${path}.${index}`));
}

export function validateSegment(segment: Pick<Segment, 'constraints'>): TargetingProblem[] {
  return constraintsProblems(segment.constraints, 'constraints');
}

export interface FlagTargetingInput {
  readonly type: FlagType;
  /** The flag's declared variants; empty or absent for a boolean flag means the implicit `on`/`off`. */
  readonly variants?: readonly Variant[] | null;
  readonly targeting: EnvironmentTargeting;
  /** Keys of the segments that exist. */
  readonly segmentKeys: ReadonlySet<string> | readonly string[];
}

/** Checks what Zod cannot see: variant values against the type, every reference, and operator values. */
export function validateFlagTargeting(input: FlagTargetingInput): TargetingProblem[] {
  const problems: TargetingProblem[] = [];
  const { type, targeting } = input;
  const declared = input.variants ?? [];
  const segmentKeys = input.segmentKeys instanceof Set ? input.segmentKeys : new Set(input.segmentKeys);

  if (declared.length === 0 && type !== 'boolean') {
    problems.push({ path: 'variants', message: `a ${type} flag needs at least one variant` });
  }
  const variantKeys = new Set<string>();
  declared.forEach((variant, index) => {
    if (variantKeys.has(variant.key)) {
      problems.push({ path: `variants.${index}.key`, message: `variant "${variant.key}" is declared twice` });
    }
    variantKeys.add(variant.key);
    const problem = variantValueProblem(type, variant.value);
    if (problem !== null) problems.push({ path: `variants.${index}.value`, message: problem });
  });
  if (declared.length === 0 && type === 'boolean') for (const key of ['on', 'off']) variantKeys.add(key);

  const checkVariant = (key: string, path: string) => {
    if (!variantKeys.has(key)) problems.push({ path, message: `variant "${key}" is not one of the flag's variants` });
  };
  const checkServe = (serve: Serve, path: string) => {
    if ('variant' in serve) {
      checkVariant(serve.variant, `${path}.variant`);
      return;
    }
    serve.split.variants.forEach((entry, index) => {
      checkVariant(entry.variant, `${path}.split.variants.${index}.variant`);
    });
    const total = serve.split.variants.reduce((sum, entry) => sum + entry.weight, 0);
    if (total !== 1000)
      problems.push({ path: `${path}.split.variants`, message: `weights add up to ${total}, not 1000` });
  };

  if (targeting.offVariant !== null) checkVariant(targeting.offVariant, 'targeting.offVariant');
  else if (type !== 'boolean' && declared.length === 0) {
    problems.push({ path: 'targeting.offVariant', message: 'no variant to serve when the flag is off' });
  }

  const ruleIds = new Set<string>();
  targeting.rules.forEach((rule, index) => {
    const path = `targeting.rules.${index}`;
    if (ruleIds.has(rule.id)) problems.push({ path: `${path}.id`, message: `rule id "${rule.id}" is used twice` });
    ruleIds.add(rule.id);
    problems.push(...constraintsProblems(rule.constraints ?? [], `${path}.constraints`));
    (rule.segments ?? []).forEach((key, segmentIndex) => {
      if (!segmentKeys.has(key)) {
        problems.push({ path: `${path}.segments.${segmentIndex}`, message: `segment "${key}" does not exist` });
      }
    });
    checkServe(rule.serve, `${path}.serve`);
  });
  if (targeting.fallthrough !== null) checkServe(targeting.fallthrough, 'targeting.fallthrough');
  return problems;
}
