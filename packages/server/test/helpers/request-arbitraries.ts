import fc from 'fast-check';
import type { RequestOptions } from './app';

/**
 * Generated HTTP requests for the admin and evaluation routes: plausible bodies of each route's shape (so requests
 * get past validation into the use cases), wrong types, huge numbers, deep nesting, lone surrogates, long strings,
 * odd path and query parameters. Used by property.test.ts (in process) and fuzz-server.test.ts (over HTTP).
 */
export const METHODS = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'] as const;
export const EXISTING_FLAGS = ['prop-a', 'prop-b', 'prop-c.v2'];
/** Generated deletes of a whole flag hit this one instead, so the seeded flags stay for the other routes. */
export const DOOMED_FLAG = 'prop-doomed';

const base64url = (text: string) => Buffer.from(text).toString('base64url');

// ---- values -------------------------------------------------------------------------------------------------

const keyLike = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);

/** Text for URLs: printable ASCII, any byte-range character (U+0000 included) and whole Unicode graphemes. */
const urlText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

/** Text for JSON bodies: the above plus any code point, lone surrogates included (also on their own, and paired). */
const surrogates = fc.constantFrom('\ud800', 'a\udfffb', '\ude00\ud83d', '\ud83d\ude80', '\ufffe\uffff');
const bodyText = fc.oneof(
  { weight: 8, arbitrary: urlText },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: surrogates },
  { weight: 1, arbitrary: fc.constant('x'.repeat(2_000)) },
);

const hugeInteger = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });

const isoLike = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc
    .tuple(
      // the edges of what PostgreSQL and JavaScript can both write as plain ISO 8601
      fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 1, 9999)),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.constantFrom('Z', '+00:00', '+23:59', '-23:59', '+14:00', '', '+24:00'),
    )
    .map(
      ([year, month, day, zone]) =>
        `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T12:00:00${zone}`,
    ),
);

const cursorLike = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => base64url(JSON.stringify(value))),
  fc.record({ k: fc.oneof(bodyText, keyLike) }).map((value) => base64url(JSON.stringify(value))),
  fc.record({ i: fc.oneof(hugeInteger.map(String), bodyText) }).map((value) => base64url(JSON.stringify(value))),
  fc.record({ t: isoLike, i: fc.uuid() }).map((value) => base64url(JSON.stringify(value))),
  urlText,
);

const queryValue = fc.oneof(
  urlText,
  fc.integer().map(String),
  fc.double().map(String),
  hugeInteger.map(String),
  fc.constantFrom('production', 'development', 'staging', '0', '1', '50', '500', '501', '-1', '1e3', '', ' 1'),
  fc.constantFrom('flag.created', 'flag.updated', 'flag_override.set', 'token.created', ...EXISTING_FLAGS),
  isoLike,
  cursorLike,
);

const queryName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('environment', 'q', 'limit', 'cursor', 'page', 'pageSize', 'userId') },
  { weight: 3, arbitrary: fc.constantFrom('type', 'flagKey', 'actorId', 'scheduleId', 'from', 'to', 'status') },
  { weight: 1, arbitrary: urlText },
);

const queryString = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(queryName, queryValue) },
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom('from', 'to'), isoLike) },
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) => `?${new URLSearchParams(pairs)}`),
  },
);

const flagKeyParam = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EXISTING_FLAGS) },
  { weight: 2, arbitrary: keyLike },
  { weight: 2, arbitrary: urlText },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(101), 'k'.repeat(5_000), '..', '.', 'a/b', '%', '%25') },
);
const userIdParam = fc.oneof(fc.constantFrom('u1', 'u2', 'user@example.com'), urlText, fc.constant('u'.repeat(300)));
const idParam = (known: string[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...known) },
    {
      weight: 5,
      arbitrary: fc.oneof(
        fc.uuid(),
        hugeInteger.map(String),
        fc.nat().map(String),
        urlText,
        fc.constantFrom('verify', 'export', '-1', '00000000-0000-0000-0000-000000000000'),
      ),
    },
  );

// ---- bodies -------------------------------------------------------------------------------------------------

const scalar = fc.oneof(
  bodyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -10, max: 110 }),
);
const anyJson = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(bodyText, scalar, { maxKeys: 4 }) },
);
/** Mostly the right type for each field, so the requests get past validation into the use cases too. */
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 1, arbitrary: anyJson });

/** A context attribute besides the targeting key (OFREP contexts carry any). */
const shortTextKey = 'attribute';

const shortText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: bodyText },
  { weight: 1, arbitrary: surrogates },
);

const fieldValues = {
  key: field(fc.oneof(keyLike, fc.constantFrom(...EXISTING_FLAGS, DOOMED_FLAG))),
  description: field(shortText),
  enabled: field(fc.boolean()),
  rolloutPercentage: field(fc.integer({ min: -5, max: 105 })),
  userId: field(fc.oneof(fc.constantFrom('u1', 'u2'), shortText)),
  overrideType: field(fc.constantFrom('include', 'exclude')),
  reason: field(shortText),
  name: field(shortText),
  role: field(fc.constantFrom('admin', 'viewer', 'client')),
  environment: field(fc.constantFrom('production', 'development', 'qa')),
  scheduledAt: field(
    fc.oneof(
      // around now: the past, the next year, beyond the horizon
      fc.integer({ min: -2, max: 400 }).map((days) => new Date(Date.now() + days * 86_400_000 + 60_000).toISOString()),
      isoLike,
    ),
  ),
  updates: field(
    fc.record(
      { enabled: field(fc.boolean()), rolloutPercentage: field(fc.integer({ min: -5, max: 105 })) },
      { requiredKeys: [] },
    ),
  ),
  maxRetries: field(fc.integer({ min: -1, max: 11 })),
  context: field(
    fc.record(
      {
        targetingKey: field(fc.oneof(fc.constantFrom('u1', 'u2'), shortText)),
        [shortTextKey]: anyJson,
      },
      { requiredKeys: [] },
    ),
  ),
  url: field(
    fc.oneof(
      fc.constantFrom(
        'https://hooks.example.com/flagline',
        'http://localhost:1/x',
        'ftp://x',
        'https://user:pw@h.example/',
      ),
      fc.webUrl(),
      shortText,
    ),
  ),
  eventTypes: field(
    fc.array(fc.constantFrom('flag.created', 'flag.updated', 'token.revoked', 'nope'), { maxLength: 3 }),
  ),
  secret: field(fc.oneof(fc.string({ minLength: 16, maxLength: 40 }), shortText)),
};
type FieldName = keyof typeof fieldValues;

/** The fields each kind of write takes. */
const SHAPES: Record<string, FieldName[]> = {
  flag: ['key', 'description'],
  update: ['enabled', 'rolloutPercentage', 'description'],
  override: ['userId', 'overrideType', 'reason'],
  token: ['name', 'role', 'environment'],
  environment: ['key', 'name'],
  schedule: ['scheduledAt', 'updates', 'maxRetries'],
  ofrep: ['context'],
  webhook: ['url', 'eventTypes', 'secret', 'description'],
};

function shapeOf(route: { method: string; path: string }): FieldName[] | undefined {
  if (route.path === '/api/admin/flags') return SHAPES.flag;
  if (route.path === '/api/admin/flags/:flagKey') return SHAPES.update;
  if (route.path === '/api/admin/flags/:flagKey/users') return SHAPES.override;
  if (route.path === '/api/admin/tokens') return SHAPES.token;
  if (route.path === '/api/admin/environments') return SHAPES.environment;
  if (route.path === '/api/admin/flags/:flagKey/schedule') return SHAPES.schedule;
  if (route.path.startsWith('/ofrep/')) return SHAPES.ofrep;
  if (route.path === '/api/admin/webhooks') return SHAPES.webhook;
  return undefined;
}

/** A body of the shape's fields (any subset, mostly plausible values), sometimes with a field nobody asked for. */
const shapedBody = (shape: FieldName[]) =>
  fc
    .record({
      fields: fc.record(Object.fromEntries(shape.map((name) => [name, fieldValues[name]])), {
        requiredKeys: shape.slice(0, 1),
      }),
      stray: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('actor', 'createdBy', 'id', 'version'), anyJson) },
      ),
    })
    .map(({ fields, stray }) => json(JSON.stringify(stray ? { ...fields, [stray[0]]: stray[1] } : fields)));

interface GeneratedBody {
  text: string;
  contentType: string | undefined;
}

const json = (text: string): GeneratedBody => ({ text, contentType: 'application/json' });

/** For a write route, mostly a body of its own shape; otherwise anything. */
const bodyFor = (route: Route): fc.Arbitrary<GeneratedBody | undefined> => {
  const shape = shapeOf(route);
  const shaped = shape ? shapedBody(shape) : fc.constantFrom(...Object.values(SHAPES)).chain(shapedBody);
  return fc.oneof({ weight: 8, arbitrary: shaped }, { weight: 3, arbitrary: otherBody });
};

const otherBody: fc.Arbitrary<GeneratedBody | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: shapedBody(Object.keys(fieldValues) as FieldName[]) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => json(JSON.stringify(value))) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('rolloutPercentage', 'enabled', 'key', 'userId', 'page', 'name'),
        fc.oneof(
          fc.constantFrom('1e999', '-1e999', '1E2', '-0', '0.0000000000000000001', '50.0', '5e1'),
          hugeInteger.map(String),
        ),
      )
      .map(([name, number]) => json(`{"${name}":${number}}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 30_000 })
      .map((depth) => json(`{"key":"deep","description":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
  },
  // invalid JSON, declared as JSON
  { weight: 1, arbitrary: bodyText.map(json) },
  // just over the 64 KiB limit
  { weight: 1, arbitrary: fc.constant(json(`{"description":"${'y'.repeat(66_000)}"}`)) },
  // not JSON at all
  {
    weight: 1,
    arbitrary: fc.record({
      text: bodyText,
      contentType: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'application/xml',
        'application/vnd.api+json',
        'application/json; charset=utf-16',
        undefined,
      ),
    }),
  },
);

const ifMatch = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.nat({ max: 20 }).map(String),
      fc.constantFrom('*', 'W/"1"', '"2"'),
      fc.stringMatching(/^[!-~]{1,12}$/),
    ),
  },
);

// ---- requests -------------------------------------------------------------------------------------------------

export interface Route {
  method: string;
  path: string;
}

export function requestArbitrary(routes: Route[], knownIds: string[]) {
  return fc
    .record({
      route: fc.constantFrom(...routes),
      // mostly the route's own method; sometimes any other
      method: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      flagKey: flagKeyParam,
      userId: userIdParam,
      id: idParam(knownIds),
      scheduleId: idParam(knownIds),
      query: queryString,
      ifMatch,
    })
    .chain((generated) => bodyFor(generated.route).map((body) => ({ ...generated, body })))
    .map((generated) => {
      const method = generated.method ?? generated.route.method;
      const deletesFlag = method === 'DELETE' && generated.route.path === '/api/admin/flags/:flagKey';
      const params: Record<string, string> = {
        flagKey: deletesFlag && EXISTING_FLAGS.includes(generated.flagKey) ? DOOMED_FLAG : generated.flagKey,
        // OFREP names the flag `key`
        key: generated.flagKey,
        userId: generated.userId,
        id: generated.id,
        scheduleId: generated.scheduleId,
      };
      const path = generated.route.path.replace(/:(\w+)/g, (_match, name: string) =>
        encodeURIComponent(params[name] ?? 'x'),
      );
      const headers: Record<string, string> = {};
      if (generated.ifMatch !== undefined) headers['if-match'] = generated.ifMatch;
      const options: RequestOptions = { headers };
      // GET and HEAD requests cannot carry a body
      if (generated.body && method !== 'GET' && method !== 'HEAD') {
        options.rawBody = generated.body.text;
        // an explicit empty type stops the helper from labelling the body as JSON
        headers['content-type'] = generated.body.contentType ?? '';
      }
      return { method, path: `${path}${generated.query}`, options };
    });
}

/** What a seeding step needs: send one JSON request as an admin, get the status and body back. */
export type AdminCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * The flags, overrides, schedules and token the generated requests refer to; returns their ids, so generated ids
 * sometimes name something that exists.
 */
export async function seedRequestTargets(call: AdminCall): Promise<string[]> {
  const ids: string[] = [];
  const expectStatus = async (expected: number, method: string, path: string, body?: unknown) => {
    const response = await call(method, path, body);
    if (response.status !== expected) {
      throw new Error(`seeding: ${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body as { id?: string };
  };
  for (const key of [...EXISTING_FLAGS, DOOMED_FLAG]) {
    await expectStatus(201, 'POST', '/api/admin/flags', { key, description: 'seeded' });
    await expectStatus(200, 'PATCH', `/api/admin/flags/${key}`, { enabled: true });
    await expectStatus(201, 'POST', `/api/admin/flags/${key}/users`, { userId: 'u1', overrideType: 'include' });
    const schedule = await expectStatus(201, 'POST', `/api/admin/flags/${key}/schedule`, {
      scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
      updates: { rolloutPercentage: 50 },
    });
    if (schedule.id) ids.push(schedule.id);
  }
  const token = await expectStatus(201, 'POST', '/api/admin/tokens', { name: 'disposable', role: 'viewer' });
  if (token.id) ids.push(token.id);
  return ids;
}
