import { UNLEASH_ENVIRONMENT, UNLEASH_SECRETS, unleashApi } from '../../../../bench/peers/unleash';

/*
 * The rulesets the agreement test creates on a real unleash-server through its admin API: every operator the Unleash
 * server accepts that Flagline represents, inverted and case-insensitive constraints, segments, several strategies per
 * flag, flexibleRollout with default/userId/sessionId/custom stickiness and groupIds, userWithId, strategy variants
 * and feature variants (the 15 operators unleash-server 6.10 accepts; SEMVER_GTE/LTE, REGEX and IN_CIDR it refuses).
 * Variants are sticky on a custom field only behind a rollout on that field: where the field is missing, Unleash picks
 * variants at random, but the rollout keeps such contexts out first.
 */

interface ConstraintInput {
  contextName: string;
  operator: string;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

interface VariantInput {
  name: string;
  weight: number;
  weightType: 'variable' | 'fix';
  stickiness: string;
  payload?: { type: 'string' | 'json'; value: string };
}

interface StrategyInput {
  name: 'default' | 'flexibleRollout' | 'userWithId';
  title?: string;
  parameters?: Record<string, string>;
  constraints?: ConstraintInput[];
  segments?: string[];
  variants?: VariantInput[];
}

interface FlagInput {
  name: string;
  enabled: boolean;
  strategies: StrategyInput[];
  variants?: VariantInput[];
}

export const CONTEXT_FIELDS = ['plan', 'country', 'email', 'score', 'appVersion', 'tenant'] as const;

const SEGMENTS: { name: string; constraints: ConstraintInput[] }[] = [
  { name: 'Pro customers', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', 'enterprise'] }] },
  {
    name: 'Nordics with score',
    constraints: [
      { contextName: 'country', operator: 'IN', values: ['SE', 'NO', 'DK'] },
      { contextName: 'score', operator: 'NUM_GT', value: '10' },
    ],
  },
  {
    name: 'Pro customers!', // slugs to the same key as the first: the import must keep them apart
    constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@ACME.io'], caseInsensitive: true }],
  },
];

const variable = (name: string, stickiness = 'default', payload?: VariantInput['payload']): VariantInput => ({
  name,
  weight: 0,
  weightType: 'variable',
  stickiness,
  ...(payload ? { payload } : {}),
});

export const FLAGS: FlagInput[] = [
  {
    name: 'imp-in',
    enabled: true,
    strategies: [
      {
        name: 'default',
        title: 'paying plans',
        // Unleash ignores caseInsensitive on IN: "PRO" stays out.
        constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', 'Enterprise'], caseInsensitive: true }],
      },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '30', stickiness: 'userId', groupId: 'grp-in' },
        constraints: [{ contextName: 'country', operator: 'NOT_IN', values: ['DE', ' FR '], inverted: true }],
      },
      {
        name: 'default',
        constraints: [{ contextName: 'country', operator: 'NOT_IN', values: ['US', 'DE', 'SE'] }],
        variants: [variable('outside-a'), variable('outside-b')],
      },
    ],
  },
  {
    name: 'imp-str',
    enabled: true,
    strategies: [
      {
        name: 'default',
        constraints: [{ contextName: 'email', operator: 'STR_CONTAINS', values: ['ACME'], caseInsensitive: true }],
        variants: [variable('a', 'default', { type: 'string', value: 'hello' }), variable('b')],
      },
      {
        name: 'default',
        constraints: [{ contextName: 'email', operator: 'STR_STARTS_WITH', values: ['admin', 'root'], inverted: true }],
        segments: ['Pro customers'],
      },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '50', stickiness: 'default', groupId: 'imp-str' },
        constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['.io', '.dev'] }],
      },
      {
        name: 'default',
        constraints: [
          { contextName: 'plan', operator: 'STR_CONTAINS', values: ['ent'], inverted: true, caseInsensitive: true },
        ],
      },
    ],
  },
  {
    name: 'imp-num',
    enabled: true,
    strategies: [
      { name: 'default', constraints: [{ contextName: 'score', operator: 'NUM_EQ', value: '42' }] },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '75', stickiness: 'sessionId', groupId: 'nums' },
        constraints: [
          { contextName: 'score', operator: 'NUM_GT', value: '50' },
          { contextName: 'score', operator: 'NUM_LTE', value: '90' },
        ],
      },
      { name: 'default', constraints: [{ contextName: 'score', operator: 'NUM_GTE', value: '95', inverted: true }] },
      { name: 'default', constraints: [{ contextName: 'score', operator: 'NUM_LT', value: '-10.5' }] },
    ],
  },
  {
    name: 'imp-date',
    enabled: true,
    strategies: [
      {
        name: 'default',
        constraints: [{ contextName: 'currentTime', operator: 'DATE_AFTER', value: '2026-06-01T00:00:00.000Z' }],
        variants: [variable('summer', 'sessionId'), variable('winter', 'sessionId')],
      },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '40', stickiness: 'default', groupId: 'dates' },
        constraints: [
          {
            contextName: 'currentTime',
            operator: 'DATE_BEFORE',
            value: '2025-03-01T12:00:00.000Z',
            inverted: true,
          },
        ],
      },
    ],
  },
  {
    name: 'imp-semver',
    enabled: true,
    strategies: [
      { name: 'default', constraints: [{ contextName: 'appVersion', operator: 'SEMVER_EQ', value: '1.2.3' }] },
      { name: 'default', constraints: [{ contextName: 'appVersion', operator: 'SEMVER_GT', value: '2.0.0' }] },
      {
        name: 'default',
        constraints: [{ contextName: 'appVersion', operator: 'SEMVER_LT', value: '1.0.0-beta.2', inverted: true }],
        segments: ['Nordics with score'],
      },
    ],
    variants: [variable('old'), variable('new')],
  },
  {
    name: 'imp-segments',
    enabled: true,
    strategies: [
      { name: 'default', segments: ['Pro customers', 'Nordics with score'] },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '60', stickiness: 'sessionId', groupId: 'segs' },
        segments: ['Pro customers!'],
      },
    ],
  },
  {
    name: 'imp-userids',
    enabled: true,
    strategies: [
      { name: 'userWithId', parameters: { userIds: 'u-1, u-2,u-3 ,u-17' } },
      {
        name: 'userWithId',
        parameters: { userIds: 'u-5,u-6' },
        constraints: [{ contextName: 'plan', operator: 'IN', values: ['free'] }],
      },
      { name: 'flexibleRollout', parameters: { rollout: '10', stickiness: 'default', groupId: 'imp-userids' } },
    ],
  },
  {
    name: 'imp-feature-variants',
    enabled: true,
    strategies: [{ name: 'flexibleRollout', parameters: { rollout: '70', stickiness: 'default', groupId: 'fv' } }],
    variants: [
      variable('red'),
      variable('blue', 'default', { type: 'json', value: '{"color":"#00f"}' }),
      variable('green'),
      { name: 'gold', weight: 100, weightType: 'fix', stickiness: 'default' },
    ],
  },
  {
    name: 'imp-custom-stickiness',
    enabled: true,
    strategies: [
      {
        name: 'flexibleRollout',
        parameters: { rollout: '100', stickiness: 'tenant', groupId: 'sv' },
        constraints: [{ contextName: 'country', operator: 'IN', values: ['US', 'DE'] }],
        variants: [variable('x', 'tenant'), variable('y', 'tenant'), variable('z', 'tenant')],
      },
      { name: 'flexibleRollout', parameters: { rollout: '35', stickiness: 'tenant', groupId: 'tenants' } },
      { name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['free'] }] },
    ],
    variants: [variable('fallback-1', 'sessionId'), variable('fallback-2', 'sessionId')],
  },
  {
    name: 'imp-disabled',
    enabled: false,
    strategies: [{ name: 'default' }],
    variants: [variable('never')],
  },
  {
    name: 'imp-default-only',
    enabled: true,
    strategies: [{ name: 'default' }],
    variants: [variable('one', 'sessionId'), variable('two', 'sessionId'), variable('three', 'sessionId')],
  },
  {
    name: 'imp-missing-fields',
    enabled: true,
    strategies: [
      // NOT_IN holds for a missing field; a string operator on a missing field is false, so inverted it holds.
      { name: 'default', constraints: [{ contextName: 'appVersion', operator: 'NOT_IN', values: ['1.2.3'] }] },
      {
        name: 'flexibleRollout',
        parameters: { rollout: '0', stickiness: 'default', groupId: 'zero' },
        constraints: [{ contextName: 'email', operator: 'STR_CONTAINS', values: ['@'], inverted: true }],
      },
    ],
  },
];

const project = '/api/admin/projects/default';
const admin = <T>(url: string, method: string, path: string, body?: unknown) =>
  unleashApi<T>(url, UNLEASH_SECRETS.admin, method, path, body);

/** Creates the context fields, segments and flags on the Unleash at `url`. */
export async function createUnleashRulesets(url: string): Promise<void> {
  for (const name of CONTEXT_FIELDS) {
    await admin(url, 'POST', '/api/admin/context', { name, stickiness: name === 'tenant' });
  }
  const segmentIds = new Map<string, number>();
  for (const segment of SEGMENTS) {
    const created = await admin<{ id: number }>(url, 'POST', '/api/admin/segments', { ...segment, project: null });
    segmentIds.set(segment.name, created.id);
  }
  for (const flag of FLAGS) {
    const feature = `${project}/features/${flag.name}`;
    await admin(url, 'POST', `${project}/features`, { name: flag.name, description: `agreement test: ${flag.name}` });
    for (const strategy of flag.strategies) {
      const segments = (strategy.segments ?? []).map((name) => {
        const id = segmentIds.get(name);
        if (id === undefined) throw new Error(`no segment ${name}`);
        return id;
      });
      await admin(url, 'POST', `${feature}/environments/${UNLEASH_ENVIRONMENT}/strategies`, {
        name: strategy.name,
        ...(strategy.title ? { title: strategy.title } : {}),
        parameters: strategy.parameters ?? {},
        constraints: strategy.constraints ?? [],
        segments,
        variants: strategy.variants ?? [],
      });
    }
    if (flag.variants) {
      await admin(url, 'PUT', `${feature}/environments/${UNLEASH_ENVIRONMENT}/variants`, flag.variants);
    }
    if (flag.enabled) await admin(url, 'POST', `${feature}/environments/${UNLEASH_ENVIRONMENT}/on`);
  }
}

export async function exportUnleash(url: string): Promise<{ exported: unknown; segments: unknown }> {
  const exported = await admin(url, 'POST', '/api/admin/features-batch/export', {
    features: FLAGS.map((flag) => flag.name),
    environment: UNLEASH_ENVIRONMENT,
  });
  const { segments } = await admin<{ segments: unknown }>(url, 'GET', '/api/admin/segments');
  return { exported, segments };
}

/**
 * Unleash 6.10's export leaves out each strategy's sortOrder; its admin feature API has it. Returns the export with
 * sortOrder added, as an importer that must keep Unleash's strategy order supplies it.
 */
export async function withStrategyOrder(url: string, exported: unknown): Promise<unknown> {
  const order = new Map<string, number>();
  for (const flag of FLAGS) {
    const feature = await admin<{ environments: { name: string; strategies: { id: string; sortOrder: number }[] }[] }>(
      url,
      'GET',
      `${project}/features/${flag.name}`,
    );
    for (const environment of feature.environments) {
      if (environment.name !== UNLEASH_ENVIRONMENT) continue;
      for (const strategy of environment.strategies) order.set(strategy.id, strategy.sortOrder);
    }
  }
  const copy = structuredClone(exported) as { featureStrategies: { id: string; sortOrder?: number }[] };
  for (const strategy of copy.featureStrategies) {
    const sortOrder = order.get(strategy.id);
    if (sortOrder === undefined) throw new Error(`strategy ${strategy.id} is not in Unleash's admin API`);
    strategy.sortOrder = sortOrder;
  }
  return copy;
}
