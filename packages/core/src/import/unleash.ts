import { flagKeySchema } from '../common';
import {
  attributePathSchema,
  type Constraint,
  type ConstraintOperator,
  constraintOperatorSchema,
  type Rule,
  type RuleRollout,
  type Segment,
  type Serve,
  SINGLE_VALUE_OPERATORS,
  SPLIT_TOTAL_WEIGHT,
  type Variant,
  variantKeySchema,
} from '../targeting';
import {
  type ConvertedUnleashExport,
  type ConvertUnleashOptions,
  type ImportedFlag,
  type UnleashConstraint,
  type UnleashExport,
  type UnleashFeatureEnvironment,
  type UnleashSegment,
  type UnleashStrategy,
  type UnleashVariant,
  type UnsupportedPart,
  unleashExportSchema,
} from './unleash-export';

/*
 * Converts Unleash 6's export (shapes in unleash-export.ts) into Flagline's model. Semantics follow unleash-client 6
 * (lib/client.js, lib/strategy/*, lib/variant.js), which is what the agreement test compares against.
 */

/** The variant every imported flag serves when Unleash's isEnabled is false. */
export const IMPORTED_OFF_VARIANT = 'off';
/** What a matching strategy without variants serves: Unleash's isEnabled true, getVariant "disabled". */
export const IMPORTED_ON_VARIANT = 'on';

class Unsupported extends Error {}

/** Unleash's field names that are OpenFeature's targeting key; the others keep their names (properties flattened). */
function attributeOf(contextName: string): string {
  if (contextName === 'userId') return 'targetingKey';
  // A dot would read as a path into nested attributes, while Unleash looks the whole name up as one property.
  if (contextName.includes('.') || !attributePathSchema.safeParse(contextName).success) {
    throw new Unsupported(`context field "${contextName}" is not a Flagline attribute name`);
  }
  return contextName;
}

function stickinessOf(stickiness: string | undefined): string | undefined {
  if (stickiness === undefined || stickiness === '' || stickiness === 'default') return undefined;
  if (stickiness === 'random') throw new Unsupported('random stickiness is not deterministic');
  return attributeOf(stickiness);
}

/** unleash-client's cleanValues: empty values never match and the others are compared trimmed. */
const cleanValues = (values: readonly string[]) => values.filter((value) => value !== '').map((value) => value.trim());

export function convertConstraint(constraint: UnleashConstraint): Constraint {
  const operator = constraintOperatorSchema.safeParse(constraint.operator);
  if (!operator.success) throw new Unsupported(`operator ${constraint.operator} is not supported by Flagline`);
  const op: ConstraintOperator = operator.data;
  let values: string[];
  if (SINGLE_VALUE_OPERATORS.has(op)) {
    // Unleash reads only `value` for these, untrimmed.
    if (constraint.value === undefined) throw new Unsupported(`${op} without a value`);
    values = [constraint.value];
  } else {
    values = cleanValues(constraint.values ?? []);
  }
  const converted: Constraint = { attribute: attributeOf(constraint.contextName), operator: op, values };
  if (constraint.inverted) converted.inverted = true;
  // Unleash ignores caseInsensitive on IN/NOT_IN; Flagline honours it, so it is dropped to keep Unleash's answers.
  if (constraint.caseInsensitive && op !== 'IN' && op !== 'NOT_IN') converted.caseInsensitive = true;
  return converted;
}

/** Segment keys are slugs of the Unleash names, made unique with a numeric suffix. */
export function segmentKeyOf(name: string, taken: ReadonlySet<string>): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 90) || 'segment';
  let key = slug;
  for (let n = 2; taken.has(key); n++) key = `${slug}-${n}`;
  return key;
}

function variantsPayloadDescription(variant: UnleashVariant): string | undefined {
  if (!variant.payload) return undefined;
  const text = `Unleash payload (${variant.payload.type}): ${variant.payload.value}`;
  return text.length <= 500 ? text : `${text.slice(0, 497)}...`;
}

/**
 * A weighted split as unleash-client picks variants: weights out of their total (which must be 1000 here, as the
 * Unleash server computes them), hashed on `groupId` with the stickiness of the first variant.
 */
function splitOf(variants: readonly UnleashVariant[], groupId: string, fallbackStickiness: string | undefined): Serve {
  if (variants.some((variant) => variant.overrides && variant.overrides.length > 0)) {
    throw new Unsupported('variant overrides are not supported (use a rule with a constraint instead)');
  }
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  if (total !== SPLIT_TOTAL_WEIGHT) throw new Unsupported(`variant weights add up to ${total}, not 1000`);
  const stickiness = stickinessOf(variants[0]?.stickiness || fallbackStickiness);
  return {
    split: {
      variants: variants.map((variant) => ({ variant: variant.name, weight: variant.weight })),
      ...(stickiness === undefined ? {} : { stickiness }),
      groupId,
    },
  };
}

interface Context {
  segmentKeys: Map<number, string>;
  unusableSegments: Map<number, string>;
  unsupported: UnsupportedPart[];
}

function ruleOf(
  strategy: UnleashStrategy,
  path: string,
  featureVariants: readonly UnleashVariant[],
  featureName: string,
  context: Context,
): Rule {
  const parameters = strategy.parameters ?? {};
  const constraints: Constraint[] = [];
  let rollout: RuleRollout | undefined;
  switch (strategy.name) {
    case 'default':
      break;
    case 'flexibleRollout': {
      const percentage = Number(parameters.rollout ?? '100');
      if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
        throw new Unsupported(`rollout "${parameters.rollout}" is not a whole percentage`);
      }
      const stickiness = stickinessOf(parameters.stickiness);
      // At 100 % with default stickiness Unleash lets everyone in (anonymous callers get a random bucket); a custom
      // stickiness field that is missing still keeps the caller out, so only then does the rollout stay.
      if (!(percentage === 100 && stickiness === undefined)) {
        // unleash-client: `parameters.groupId || context.featureToggle || ''`; the server always stores one.
        const groupId = parameters.groupId || featureName;
        rollout = { percentage, ...(stickiness === undefined ? {} : { stickiness }), groupId };
      }
      break;
    }
    case 'userWithId': {
      const userIds = (parameters.userIds ?? '').split(/\s*,\s*/).filter((id) => id !== '');
      constraints.push({ attribute: 'targetingKey', operator: 'IN', values: userIds });
      break;
    }
    default:
      throw new Unsupported(`strategy "${strategy.name}" is not supported (default, flexibleRollout, userWithId are)`);
  }
  (strategy.constraints ?? []).forEach((constraint, index) => {
    try {
      constraints.push(convertConstraint(constraint));
    } catch (error) {
      if (error instanceof Unsupported) throw new Unsupported(`constraints[${index}]: ${error.message}`);
      throw error;
    }
  });
  const segments: string[] = [];
  for (const id of strategy.segments ?? []) {
    const key = context.segmentKeys.get(id);
    if (key === undefined) {
      throw new Unsupported(`segment ${id}: ${context.unusableSegments.get(id) ?? 'not in the export'}`);
    }
    segments.push(key);
  }
  let serve: Serve = { variant: IMPORTED_ON_VARIANT };
  const strategyVariants = strategy.variants ?? [];
  if (strategyVariants.length > 0) {
    // unleash-client hashes strategy variants on the strategy's groupId as it stands (even when absent).
    serve = splitOf(strategyVariants, parameters.groupId ?? 'undefined', parameters.stickiness);
  } else if (featureVariants.length > 0) {
    serve = splitOf(featureVariants, featureName, undefined);
  }
  const id = (strategy.id ?? path).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return {
    id,
    ...(strategy.title ? { description: strategy.title.slice(0, 500) } : {}),
    constraints,
    segments,
    ...(rollout ? { rollout } : {}),
    serve,
  };
}

function convertSegments(
  exported: UnleashExport['segments'],
  supplied: readonly UnleashSegment[] | undefined,
  unsupported: UnsupportedPart[],
): { segments: Segment[]; keys: Map<number, string>; unusable: Map<number, string> } {
  const byId = new Map<number, { segment: UnleashSegment; path: string }>();
  for (const [index, segment] of exported.entries()) byId.set(segment.id, { segment, path: `segments[${index}]` });
  for (const [index, segment] of (supplied ?? []).entries()) {
    byId.set(segment.id, { segment, path: `body.segments[${index}]` });
  }
  const segments: Segment[] = [];
  const keys = new Map<number, string>();
  const unusable = new Map<number, string>();
  const taken = new Set<string>();
  for (const [id, { segment, path }] of [...byId].sort(([a], [b]) => a - b)) {
    if (!segment.constraints) {
      const reason = `segment "${segment.name}" has no constraints in the export; send them as "segments"`;
      unusable.set(id, reason);
      unsupported.push({ path, reason });
      continue;
    }
    try {
      const constraints = segment.constraints.map((constraint, index) => {
        try {
          return convertConstraint(constraint);
        } catch (error) {
          if (error instanceof Unsupported) throw new Unsupported(`constraints[${index}]: ${error.message}`);
          throw error;
        }
      });
      const key = segmentKeyOf(segment.name, taken);
      taken.add(key);
      keys.set(id, key);
      segments.push({
        key,
        name: segment.name.slice(0, 200),
        description: (segment.description ?? '').slice(0, 1000),
        constraints,
      });
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      const reason = `segment "${segment.name}": ${error.message}`;
      unusable.set(id, reason);
      unsupported.push({ path, reason });
    }
  }
  return { segments, keys, unusable };
}

/**
 * Converts one environment of an Unleash export. Every imported flag is boolean (Unleash's isEnabled) with the
 * variants `off` (false: disabled, and when no strategy matches), `on` (true: a strategy without variants matched)
 * and one variant per Unleash variant name (true), so the variant served is getVariant's name whenever isEnabled is
 * true. Payloads are kept only as the variant's description. A strategy with anything Flagline cannot represent is
 * left out whole (leaving out a constraint would widen it) and reported; a feature that cannot be represented at all
 * is left out and reported.
 */
export function convertUnleashExport(input: unknown, options: ConvertUnleashOptions = {}): ConvertedUnleashExport {
  const exported = unleashExportSchema.parse(input);
  const unsupported: UnsupportedPart[] = [];
  const environments = new Set(
    [...exported.featureEnvironments, ...exported.featureStrategies].flatMap((entry) =>
      entry.environment === undefined ? [] : [entry.environment],
    ),
  );
  const environment = options.unleashEnvironment ?? (environments.size === 1 ? [...environments][0] : undefined);
  const inEnvironment = (entry: { environment?: string | undefined }) =>
    environment === undefined || entry.environment === undefined || entry.environment === environment;

  const { segments, keys, unusable } = convertSegments(exported.segments, options.segments, unsupported);
  const context: Context = { segmentKeys: keys, unusableSegments: unusable, unsupported };
  const dependent = new Set((exported.dependencies ?? []).map((dependency) => dependency.feature));

  const flags: ImportedFlag[] = [];
  for (const [featureIndex, feature] of exported.features.entries()) {
    const flag = convertFeature(feature, featureIndex);
    if (flag) flags.push(flag);
  }

  function convertFeature(feature: UnleashExport['features'][number], featureIndex: number): ImportedFlag | undefined {
    const featurePath = `features[${featureIndex}]`;
    if (feature.archived) return undefined;
    const skip = (reason: string): undefined => {
      unsupported.push({ path: featurePath, reason: `"${feature.name}": ${reason}` });
      return undefined;
    };
    if (!flagKeySchema.safeParse(feature.name).success) {
      return skip('the name is not a Flagline flag key (lowercase a-z, 0-9, ".", "_", "-")');
    }
    if (dependent.has(feature.name)) return skip('dependencies on parent features are not supported');
    const featureEnvironment: UnleashFeatureEnvironment | undefined = exported.featureEnvironments.find(
      (entry) => entry.featureName === feature.name && inEnvironment(entry),
    );
    const featureVariants = featureEnvironment?.variants ?? [];
    const strategies = exported.featureStrategies
      .map((strategy, index) => ({ strategy, path: `featureStrategies[${index}]` }))
      .filter(({ strategy }) => strategy.featureName === feature.name && inEnvironment(strategy))
      // Unleash leaves disabled strategies out of what its SDKs receive.
      .filter(({ strategy }) => !strategy.disabled);
    // Unleash 6's export leaves sortOrder out (its store does not select it); when it is there, it decides the order.
    const ordered = strategies.every(({ strategy }) => strategy.sortOrder !== undefined);
    if (ordered) strategies.sort((a, b) => (a.strategy.sortOrder ?? 0) - (b.strategy.sortOrder ?? 0));

    const variantNames = new Set<string>();
    for (const variant of [...featureVariants, ...strategies.flatMap(({ strategy }) => strategy.variants ?? [])]) {
      variantNames.add(variant.name);
    }
    for (const name of variantNames) {
      if (name === IMPORTED_OFF_VARIANT || name === IMPORTED_ON_VARIANT) {
        return skip(`variant name "${name}" is reserved for the imported flag's own on/off variants`);
      }
      if (!variantKeySchema.safeParse(name).success)
        return skip(`variant name "${name}" is not a Flagline variant key`);
    }

    const rules: Rule[] = [];
    for (const { strategy, path } of strategies) {
      try {
        rules.push(ruleOf(strategy, path, featureVariants, feature.name, context));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        unsupported.push({ path, reason: `"${feature.name}" strategy ${strategy.name}: ${error.message}` });
      }
    }

    // isEnabled does not depend on the order, but the variant of the first matching strategy does.
    if (!ordered && new Set(rules.map((rule) => JSON.stringify(rule.serve))).size > 1) {
      unsupported.push({
        path: featurePath,
        reason: `"${feature.name}": the export does not say in which order Unleash evaluates its strategies, and the variants served depend on it; rules follow the export's order (add each strategy's sortOrder from GET /api/admin/projects/:project/features/${feature.name} to keep Unleash's)`,
      });
    }

    // unleash-client: an enabled feature without strategies is on for everyone (feature variants still apply).
    let fallthrough: Serve = { variant: IMPORTED_OFF_VARIANT };
    if (strategies.length === 0) {
      try {
        fallthrough =
          featureVariants.length > 0 ? splitOf(featureVariants, feature.name, undefined) : { variant: 'on' };
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        return skip(`feature variants: ${error.message}`);
      }
    }

    const payloads = new Map<string, string | undefined>();
    for (const variant of [...featureVariants, ...strategies.flatMap(({ strategy }) => strategy.variants ?? [])]) {
      if (!payloads.has(variant.name)) payloads.set(variant.name, variantsPayloadDescription(variant));
    }
    const variants: Variant[] = [
      { key: IMPORTED_OFF_VARIANT, value: false },
      { key: IMPORTED_ON_VARIANT, value: true },
      ...[...payloads].map(
        ([name, description]): Variant => ({
          key: name,
          value: true,
          ...(description === undefined ? {} : { description }),
        }),
      ),
    ];
    return {
      key: feature.name,
      description: (feature.description ?? '').slice(0, 500),
      type: 'boolean',
      variants,
      targeting: {
        enabled: featureEnvironment?.enabled ?? false,
        rolloutPercentage: 'variant' in fallthrough && fallthrough.variant === IMPORTED_OFF_VARIANT ? 0 : 100,
        offVariant: IMPORTED_OFF_VARIANT,
        rules,
        fallthrough,
      },
    };
  }

  return { flags, segments, unsupported };
}
