import { rolloutShorthand } from '../evaluation';
import { type CompiledFlag, inRollout, serveFor } from './compile';
import type { EvaluationContext } from './context';
import { errorResolution, FLAG_NOT_FOUND_RESOLUTION, type Resolution } from './resolution';

const EMPTY_CONTEXT: EvaluationContext = Object.freeze({});
const INVALID_TARGETING_KEY = errorResolution('INVALID_CONTEXT', 'targetingKey must be a string');
const EVALUATION_FAILED = errorResolution('GENERAL', 'evaluation failed');

/**
 * The one evaluation (design §4b), shared by the server, the SDKs and the admin UI's preview. Never throws.
 *
 * not found → disabled (the off variant: the kill switch beats overrides) → the targeting key's override
 * (exclude → off variant, include → its pinned variant or `on`) → rules in order, first match wins (every
 * constraint and every referenced segment's constraints hold; a rule rollout leaves the rest of its matches to the
 * next rule) → the fallthrough, or for a boolean flag without one its `rolloutPercentage` shorthand exactly as
 * evaluate() answers, or for other types the off variant (DEFAULT).
 */
export function evaluateFlag(flag: CompiledFlag | undefined, context: EvaluationContext = EMPTY_CONTEXT): Resolution {
  if (flag === undefined) return FLAG_NOT_FOUND_RESOLUTION;
  if (!flag.enabled) return flag.disabled;
  try {
    const targetingKey = context.targetingKey;
    if (targetingKey !== undefined && typeof targetingKey !== 'string') return INVALID_TARGETING_KEY;
    if (targetingKey && flag.overrides.size > 0) {
      const override = flag.overrides.get(targetingKey);
      if (override !== undefined) return override;
    }
    const rules = flag.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const matchers = rule.matchers;
      let matches = true;
      for (let m = 0; m < matchers.length; m++) {
        if (!matchers[m]!(context)) {
          matches = false;
          break;
        }
      }
      if (!matches) continue;
      if (rule.rollout !== null && !inRollout(rule.rollout, context)) continue;
      return serveFor(rule.serve, context);
    }
    if (flag.fallthrough !== null) return serveFor(flag.fallthrough, context);
    if (flag.shorthand !== null)
      return flag.shorthand[rolloutShorthand(flag.bucketSalt, flag.rolloutPercentage, targetingKey)];
    return flag.noMatch;
  } catch {
    // Only a hostile context (a throwing getter or Proxy) can get here; the matchers themselves do not throw.
    return EVALUATION_FAILED;
  }
}
