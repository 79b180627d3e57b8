/** OpenFeature's evaluation context: an optional targeting key and any attributes. */
export interface EvaluationContext {
  targetingKey?: string;
  [attribute: string]: unknown;
}

export type AttributeReader = (context: EvaluationContext) => unknown;

const readTargetingKey: AttributeReader = (context) => context.targetingKey;

function own(object: unknown, key: string): unknown {
  if (object === null || typeof object !== 'object') return undefined;
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

function pathReader(segments: readonly string[]): AttributeReader {
  return (context) => {
    let current: unknown = context;
    for (const segment of segments) {
      current = own(current, segment);
      if (current === undefined) return undefined;
    }
    return current;
  };
}

/**
 * Compiles an attribute path into a reader. Unleash's names map onto OpenFeature's: `userId` and `targetingKey` are
 * the targeting key, `properties.X` is attribute `X`. A dotted path walks nested objects, after a literal key of
 * that name (so a flat `{"account.country": "DE"}` context works too). Only own properties are read, so `constructor`
 * or `__proto__` never resolve to something on Object.prototype.
 */
export function attributeReader(path: string): AttributeReader {
  if (path === 'targetingKey' || path === 'userId') return readTargetingKey;
  if (!path.includes('.')) return (context) => own(context, path);
  const walk = pathReader(path.split('.'));
  if (path.startsWith('properties.')) {
    const property = path.slice('properties.'.length);
    const inner = attributeReader(property);
    return (context) => own(context, path) ?? walk(context) ?? inner(context);
  }
  return (context) => own(context, path) ?? walk(context);
}

/**
 * An attribute as the string Unleash's resolveContextValue() compares: primitives stringified with String(),
 * absent as undefined. Objects and arrays count as absent (Unleash would compare "[object Object]" or "a,b").
 */
export function attributeString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}
