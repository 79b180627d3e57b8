import SemVer from 'semver/classes/semver.js';
import { type AttributeReader, attributeReader, attributeString, type EvaluationContext } from './context';
import type { Constraint } from './schemas';
import { parseSemver } from './semver';

/** One compiled constraint: true when it holds for the context (inversion already applied). */
export type Matcher = (context: EvaluationContext) => boolean;

const NEVER: Matcher = () => false;

/** Unleash's cleanValues: drop empty values, then trim (a value of spaces stays, as "" — exactly as Unleash). */
export function cleanValues(values: readonly string[]): string[] {
  return values.filter((value) => !!value).map((value) => value.trim());
}

function readString(read: AttributeReader): (context: EvaluationContext) => string | undefined {
  return (context) => attributeString(read(context));
}

function inOperator(constraint: Constraint, read: AttributeReader): Matcher {
  const lower = constraint.caseInsensitive === true;
  const values = new Set(cleanValues(constraint.values).map((value) => (lower ? value.toLocaleLowerCase() : value)));
  const isIn = (context: EvaluationContext): boolean => {
    const value = attributeString(read(context));
    if (value === undefined) return false;
    return values.has(lower ? value.toLocaleLowerCase() : value);
  };
  return constraint.operator === 'IN' ? isIn : (context) => !isIn(context);
}

function stringOperator(constraint: Constraint, read: AttributeReader): Matcher {
  const lower = constraint.caseInsensitive === true;
  const values = cleanValues(constraint.values).map((value) => (lower ? value.toLocaleLowerCase() : value));
  const test =
    constraint.operator === 'STR_STARTS_WITH'
      ? (value: string, candidate: string) => value.startsWith(candidate)
      : constraint.operator === 'STR_ENDS_WITH'
        ? (value: string, candidate: string) => value.endsWith(candidate)
        : (value: string, candidate: string) => value.includes(candidate);
  const value = readString(read);
  return (context) => {
    const raw = value(context);
    if (raw === undefined) return false;
    const subject = lower ? raw.toLocaleLowerCase() : raw;
    for (const candidate of values) if (test(subject, candidate)) return true;
    return false;
  };
}

function numberOperator(constraint: Constraint, read: AttributeReader): Matcher {
  const target = Number(constraint.values[0]);
  if (Number.isNaN(target)) return NEVER;
  const value = readString(read);
  const number = (context: EvaluationContext) => Number(value(context));
  switch (constraint.operator) {
    case 'NUM_EQ':
      return (context) => number(context) === target;
    case 'NUM_GT':
      return (context) => number(context) > target;
    case 'NUM_GTE':
      return (context) => number(context) >= target;
    case 'NUM_LT':
      return (context) => number(context) < target;
    default:
      return (context) => number(context) <= target;
  }
}

function dateMillis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' || typeof value === 'number') return new Date(value).getTime();
  if (typeof value === 'boolean') return new Date(Number(value)).getTime(); // as new Date(true) in Unleash
  return Number.NaN;
}

/**
 * Unleash compares `currentTime` (the context's, or now when it is absent or empty) whatever the constraint's
 * field; Flagline does that for `currentTime` and reads any other attribute as a date, absent → false.
 */
function dateOperator(constraint: Constraint): Matcher {
  const target = dateMillis(constraint.values[0]);
  if (Number.isNaN(target)) return NEVER;
  const read =
    constraint.attribute === 'currentTime'
      ? (context: EvaluationContext) => (context.currentTime ? dateMillis(context.currentTime) : Date.now())
      : (() => {
          const attribute = attributeReader(constraint.attribute);
          return (context: EvaluationContext) => dateMillis(attribute(context));
        })();
  return constraint.operator === 'DATE_AFTER'
    ? (context) => read(context) > target
    : (context) => read(context) < target;
}

function semverOperator(constraint: Constraint, read: AttributeReader): Matcher {
  let target: SemVer;
  try {
    // The constraint's own value may carry a `v` (semver accepts it; Unleash only refuses it in the context).
    target = new SemVer(constraint.values[0] ?? '');
  } catch {
    return NEVER;
  }
  const value = readString(read);
  const compare = (context: EvaluationContext): number | null => {
    const raw = value(context);
    if (!raw) return null;
    const version = parseSemver(raw);
    return version === null ? null : version.compare(target);
  };
  switch (constraint.operator) {
    case 'SEMVER_EQ':
      return (context) => compare(context) === 0;
    case 'SEMVER_GT':
      return (context) => compare(context) === 1;
    case 'SEMVER_GTE': {
      return (context) => {
        const order = compare(context);
        return order === 0 || order === 1;
      };
    }
    case 'SEMVER_LT':
      return (context) => compare(context) === -1;
    default:
      return (context) => {
        const order = compare(context);
        return order === 0 || order === -1;
      };
  }
}

function operatorMatcher(constraint: Constraint): Matcher {
  const read = attributeReader(constraint.attribute);
  switch (constraint.operator) {
    case 'IN':
    case 'NOT_IN':
      return inOperator(constraint, read);
    case 'STR_CONTAINS':
    case 'STR_STARTS_WITH':
    case 'STR_ENDS_WITH':
      return stringOperator(constraint, read);
    case 'NUM_EQ':
    case 'NUM_GT':
    case 'NUM_GTE':
    case 'NUM_LT':
    case 'NUM_LTE':
      return numberOperator(constraint, read);
    case 'DATE_AFTER':
    case 'DATE_BEFORE':
      return dateOperator(constraint);
    case 'SEMVER_EQ':
    case 'SEMVER_GT':
    case 'SEMVER_GTE':
    case 'SEMVER_LT':
    case 'SEMVER_LTE':
      return semverOperator(constraint, read);
    default:
      return NEVER;
  }
}

/** Compiles one constraint once per snapshot; `inverted` is applied after the operator, as Unleash does. */
export function compileConstraint(constraint: Constraint): Matcher {
  const matcher = operatorMatcher(constraint);
  return constraint.inverted === true ? (context) => !matcher(context) : matcher;
}
