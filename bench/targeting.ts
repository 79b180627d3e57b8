import { once } from 'node:events';
import { GrowthBookClient, type UserContext } from '@growthbook/growthbook';
import { Unleash, type Context as UnleashContext } from 'unleash-client';
import { Operator, type Constraint as UnleashConstraint } from 'unleash-client/lib/strategy/strategy.js';
import {
  compileFlag,
  type EvaluationContext,
  evaluateFlag,
  type Rule,
  type RulesetFlag,
} from '../packages/core/src/index';
import { type Candidate, fasterThan, type Measured, measureAll } from './inprocess';
import { round, sleep, writeResult } from './lib';

/**
 * In-process evaluation of targeting rules (#12 item 8): a boolean flag without rules, and a flag with 5 rules × 3
 * constraints next to the same flag in unleash-client (5 strategies with 3 constraints each) and GrowthBook (5 rules
 * with 3-attribute conditions). Same contexts for all, interleaved rounds, wall and CPU time.
 */
const TARGET = { plainBooleanNsPerOp: 150, fiveRulesNsPerOp: 1_000 };
const ITERATIONS = 400_000;
const ROUNDS = 7;
const CONTEXTS = 10_000;

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'ES', 'IT', 'PL', 'SE', 'JP'];
const PLANS = ['free', 'team', 'pro', 'enterprise'];

/** Rule i: country in a window of the list, email at one of two domains, age above a threshold. */
function ruleSpec(i: number) {
  return {
    countries: COUNTRIES.slice(i, i + 3),
    emailPrefixes: [`team${i}`, `staff${i}`],
    minAge: 20 + i * 5,
  };
}

function flaglineFlag(key: string, rules: number): RulesetFlag {
  const list: Rule[] = Array.from({ length: rules }, (_, i) => {
    const spec = ruleSpec(i);
    return {
      id: `r${i}`,
      constraints: [
        { attribute: 'country', operator: 'IN', values: spec.countries },
        { attribute: 'email', operator: 'STR_STARTS_WITH', values: spec.emailPrefixes },
        { attribute: 'age', operator: 'NUM_GT', values: [String(spec.minAge)] },
      ],
      segments: [],
      serve: { variant: 'on' },
    };
  });
  return {
    key,
    description: '',
    enabled: true,
    rolloutPercentage: 0,
    overrides: { include: [], exclude: [] },
    ...(rules > 0 ? { rules: list } : {}),
  };
}

function unleashFeature(name: string, rules: number) {
  return {
    name,
    enabled: true,
    strategies: Array.from({ length: rules }, (_, i) => {
      const spec = ruleSpec(i);
      return {
        name: 'flexibleRollout',
        parameters: { rollout: '100', stickiness: 'default', groupId: name },
        constraints: [
          {
            contextName: 'country',
            operator: Operator.IN,
            values: spec.countries,
            inverted: false,
            caseInsensitive: false,
          },
          {
            contextName: 'email',
            operator: Operator.STR_STARTS_WITH,
            values: spec.emailPrefixes,
            inverted: false,
            caseInsensitive: false,
          },
          {
            contextName: 'age',
            operator: Operator.NUM_GT,
            value: String(spec.minAge),
            values: [],
            inverted: false,
            caseInsensitive: false,
          },
        ] satisfies UnleashConstraint[],
      };
    }),
  };
}

function growthbookFeature(rules: number) {
  return {
    defaultValue: false,
    rules: Array.from({ length: rules }, (_, i) => {
      const spec = ruleSpec(i);
      return {
        condition: {
          country: { $in: spec.countries },
          email: { $regex: `^(${spec.emailPrefixes.join('|')})` },
          age: { $gt: spec.minAge },
        },
        force: true,
      };
    }),
  };
}

const pick = <T>(list: T[], i: number) => list[i % list.length] as T;

export interface TargetingMeasurement {
  scenario: string;
  results: Record<string, Measured>;
  target: typeof TARGET;
  met: Record<'plainBoolean' | 'fiveRules' | 'fiveRulesFasterThanUnleash' | 'fiveRulesFasterThanGrowthBook', boolean>;
}

export const PLAIN_CANDIDATE = 'Flagline evaluateFlag, boolean without rules';
export const RULED_CANDIDATE = 'Flagline evaluateFlag, 5 rules × 3 constraints';
export const UNLEASH_RULED_CANDIDATE = 'unleash-client isEnabled, 5 strategies × 3 constraints';
export const GROWTHBOOK_RULED_CANDIDATE = 'GrowthBookClient isOn, 5 rules × 3 conditions';

export async function benchTargeting(): Promise<void> {
  const summary = await measureTargeting();
  const path = writeResult('targeting', { ...summary });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\nwritten to ${path}\n`);
}

export async function measureTargeting(): Promise<TargetingMeasurement> {
  const people = Array.from({ length: CONTEXTS }, (_, i) => ({
    id: `user-${i}`,
    country: COUNTRIES[(i * 7) % COUNTRIES.length] as string,
    email: `${['team', 'staff', 'someone'][i % 3]}${i % 6}@example.com`,
    age: 18 + ((i * 13) % 50),
    plan: PLANS[i % PLANS.length] as string,
  }));
  const contexts: EvaluationContext[] = people.map((p) => ({
    targetingKey: p.id,
    country: p.country,
    email: p.email,
    age: p.age,
    plan: p.plan,
  }));
  const unleashContexts: UnleashContext[] = people.map((p) => ({
    userId: p.id,
    properties: { country: p.country, email: p.email, age: String(p.age), plan: p.plan },
  }));
  const growthbookContexts: UserContext[] = people.map((p) => ({ attributes: { ...p } }));

  const plain = compileFlag(flaglineFlag('plain', 0), new Map());
  const plainWithRollout = compileFlag({ ...flaglineFlag('plain-rollout', 0), rolloutPercentage: 50 }, new Map());
  const ruled = compileFlag(flaglineFlag('ruled', 5), new Map());

  const unleash = new Unleash({
    appName: 'flagline-bench',
    url: 'http://127.0.0.1:9/api/', // never contacted: bootstrap data only
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    bootstrap: { data: [unleashFeature('ruled', 5)] },
  });
  unleash.on('error', () => {});
  if (!unleash.isSynchronized()) await Promise.race([once(unleash, 'ready'), sleep(5_000)]);
  const growthbook = new GrowthBookClient().initSync({ payload: { features: { ruled: growthbookFeature(5) } } });

  // The three must agree on every context before their speed means anything.
  let disagreements = 0;
  let matched = 0;
  for (let i = 0; i < CONTEXTS; i++) {
    const flagline = evaluateFlag(ruled, pick(contexts, i)).value === true;
    if (flagline) matched++;
    if (flagline !== unleash.isEnabled('ruled', pick(unleashContexts, i))) disagreements++;
    if (flagline !== growthbook.isOn('ruled', pick(growthbookContexts, i))) disagreements++;
  }
  if (disagreements > 0) throw new Error(`the libraries disagree on ${disagreements} evaluations`);

  const candidates: Candidate[] = [
    {
      name: PLAIN_CANDIDATE,
      iterations: ITERATIONS,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (evaluateFlag(plain, pick(contexts, i)).value === true) on++;
        return on;
      },
    },
    {
      name: 'Flagline evaluateFlag, boolean at 50 % rollout',
      iterations: ITERATIONS,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (evaluateFlag(plainWithRollout, pick(contexts, i)).value === true) on++;
        return on;
      },
    },
    {
      name: RULED_CANDIDATE,
      iterations: ITERATIONS,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (evaluateFlag(ruled, pick(contexts, i)).value === true) on++;
        return on;
      },
    },
    {
      name: UNLEASH_RULED_CANDIDATE,
      iterations: ITERATIONS,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (unleash.isEnabled('ruled', pick(unleashContexts, i))) on++;
        return on;
      },
    },
    {
      name: GROWTHBOOK_RULED_CANDIDATE,
      iterations: ITERATIONS,
      run: (n) => {
        let on = 0;
        for (let i = 0; i < n; i++) if (growthbook.isOn('ruled', pick(growthbookContexts, i))) on++;
        return on;
      },
    },
  ];
  try {
    const results = await measureAll(candidates, ROUNDS);
    const ns = (name: string) => results[name]?.wallNsPerOp.median ?? Number.NaN;
    const plainNs = ns(PLAIN_CANDIDATE);
    const ruledNs = ns(RULED_CANDIDATE);
    const summary: TargetingMeasurement = {
      scenario: `in-process, ${CONTEXTS} contexts (country, email, age, plan), ${ITERATIONS} evaluations × ${ROUNDS} interleaved rounds; the 5-rule flag matches ${round((100 * matched) / CONTEXTS)} % of contexts and all three libraries agree on every one`,
      results,
      target: TARGET,
      met: {
        plainBoolean: plainNs <= TARGET.plainBooleanNsPerOp,
        fiveRules: ruledNs <= TARGET.fiveRulesNsPerOp,
        fiveRulesFasterThanUnleash: fasterThan(results, RULED_CANDIDATE, UNLEASH_RULED_CANDIDATE),
        fiveRulesFasterThanGrowthBook: fasterThan(results, RULED_CANDIDATE, GROWTHBOOK_RULED_CANDIDATE),
      },
    };
    return summary;
  } finally {
    unleash.destroy();
  }
}
