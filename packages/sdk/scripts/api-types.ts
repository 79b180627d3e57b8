/**
 * Writes the SDK's API types (src/api-types/) from the committed OpenAPI document, split by what the routes do: one
 * file per OpenAPI tag with that tag's `paths` and `operations`, one `<tag>-schemas.ts` per tag with the schemas only its
 * routes use (`shared-schemas.ts` for the rest), `components.ts` with the shared responses and headers that puts the
 * schemas back together, and an `index.ts` that merges it all into the single `paths`/`operations`/`components`
 * openapi-fetch expects.
 * With `--check` it generates into a temporary folder instead and fails, naming each file, when the committed folder
 * differs — so a route change reaches the SDK only through a reviewed diff (`npm run contract:check`).
 *
 * Output goes through Biome so the generated files obey the repository's formatter and linter like any other file.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3, type PathItemObject } from 'openapi-typescript';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOCUMENT = join(ROOT, 'packages', 'server', 'openapi.json');
const OUT_DIR = join(ROOT, 'packages', 'sdk', 'src', 'api-types');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

const HEADER = `/**
 * Generated — do not edit. Regenerate with \`npm run openapi\` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */
`;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** "OpenFeature (OFREP)" → "openfeature-ofrep": the tag's file name. */
const fileNameOf = (tag: string) =>
  tag
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** "OpenFeature (OFREP)" → "OpenfeatureOfrep": the prefix of the tag's names in index.ts. */
const identifierOf = (tag: string) =>
  fileNameOf(tag)
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * Each path's one tag. A path whose operations carry different tags cannot be split this way (index.ts merges path
 * items by name, so two files may not both describe one path), and an untagged operation would have no file.
 */
function pathsByTag(document: OpenAPI3): Map<string, Record<string, PathItemObject>> {
  const byTag = new Map<string, Record<string, PathItemObject>>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if ('$ref' in item) throw new Error(`${path}: a $ref path item cannot be assigned to a tag`);
    const tags = new Set<string>();
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      if ('$ref' in operation) throw new Error(`${method.toUpperCase()} ${path}: a $ref operation has no tag`);
      const [tag, ...more] = operation.tags ?? [];
      if (tag === undefined || more.length > 0) {
        throw new Error(`${method.toUpperCase()} ${path}: needs exactly one tag, has ${operation.tags?.length ?? 0}`);
      }
      tags.add(tag);
    }
    const [tag, ...others] = tags;
    if (tag === undefined) continue;
    if (others.length > 0) throw new Error(`${path}: its operations carry different tags (${[...tags].join(', ')})`);
    byTag.set(tag, { ...byTag.get(tag), [path]: item });
  }
  return byTag;
}

/** The top-level declarations openapi-typescript produced, by name. */
function declarations(nodes: ts.Node[]): Map<string, ts.Node> {
  const named = new Map<string, ts.Node>();
  for (const node of nodes) {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) named.set(node.name.text, node);
  }
  return named;
}

function pick(named: Map<string, ts.Node>, names: string[]): ts.Node[] {
  return names.map((name) => {
    const node = named.get(name);
    if (node === undefined) throw new Error(`openapi-typescript produced no \`${name}\``);
    return node;
  });
}

/** Biome formats (and organises imports of) the source as if it were the file at `target`. */
function biome(source: string, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      BIOME,
      ['check', '--write', `--stdin-file-path=${relative(ROOT, target)}`],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`biome on ${target}: ${stderr || error}`)) : resolve(stdout),
    );
    child.stdin?.end(source);
  });
}

const SHARED_GROUP = 'Shared';
/**
 * Schemas that several tags' routes use, grouped by what they describe rather than left in one shared file: the error
 * answers every route gives, the targeting model (flags' variants, rules, segments), and the change requests every
 * guarded write may answer with (202). Any other shared schema stays in shared-schemas.ts.
 */
const SHARED_FAMILIES: Record<string, readonly string[]> = {
  Errors: ['Error', 'Problem'],
  'Targeting model': [
    'FlagType',
    'Variant',
    'Rule',
    'Constraint',
    'ConstraintOperator',
    'RuleRollout',
    'Serve',
    'Split',
    'WeightedVariant',
    'Segment',
    'EnvironmentTargeting',
    'EnvironmentTargetingPatch',
    'RecordedScheduleUpdates',
  ],
  'Guarded writes': [
    'ChangeRequestAccepted',
    'ChangeRequest',
    'RequestedChange',
    'UpdateFlagBody',
    'SetOverrideBody',
    'CreateScheduleBody',
    'ImportedFlag',
    'SetVariantsBody',
  ],
};
const familyOf = new Map(
  Object.entries(SHARED_FAMILIES).flatMap(([family, names]) => names.map((name) => [name, family] as const)),
);
/** A schema printed longer than this goes to a file of its own. */
const OWN_FILE_LINES = 150;

/** A member's property name ("Flag", or a quoted one). */
function nameOf(member: ts.TypeElement): string {
  const name = member.name;
  if (!name) return '';
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return '';
}

const SCHEMA_REF = /#\/components\/schemas\/([^"]+)"/g;
const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(SCHEMA_REF)].map((match) => match[1] as string);

/** Each schema's one tag, when only that tag's routes reach it (directly or through other schemas). */
function schemaGroups(document: OpenAPI3, tags: [string, Record<string, PathItemObject>][]): Map<string, string> {
  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
  const reachedBy = new Map<string, Set<string>>();
  // The shared responses (errors every route can answer) reach their schemas for no tag in particular.
  const reachers: [string, unknown][] = [...tags, [SHARED_GROUP, document.components?.responses ?? {}]];
  for (const [tag, paths] of reachers) {
    const seen = new Set<string>();
    const queue = [...refsIn(paths)];
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      queue.push(...refsIn(schemas[name]));
    }
    for (const name of seen) reachedBy.set(name, (reachedBy.get(name) ?? new Set()).add(tag));
  }
  const groups = new Map<string, string>();
  for (const [name, reached] of reachedBy) {
    const [only, ...others] = reached;
    if (only !== undefined && others.length === 0) groups.set(name, only);
  }
  return groups;
}

/** Every generated file's name and content. */
async function generate(): Promise<Map<string, string>> {
  const document = JSON.parse(readFileSync(DOCUMENT, 'utf8')) as OpenAPI3;
  const files = new Map<string, string>();

  const tags = [...pathsByTag(document)].sort(([a], [b]) => fileNameOf(a).localeCompare(fileNameOf(b)));

  // The schemas, split like the routes: a schema only one tag's routes reach (directly or through other schemas)
  // goes to that tag's `<tag>-schemas.ts`; one that several reach, or none, to `shared-schemas.ts`. components.ts
  // keeps the responses and headers and puts the schemas back together.
  const shared = declarations(await openapiTS({ ...document, paths: {} }));
  const [components, ...rest] = pick(shared, ['components', 'webhooks', '$defs']);
  if (!components || !ts.isInterfaceDeclaration(components)) throw new Error('`components` is not an interface');
  const schemaMember = components.members.find(
    (member): member is ts.PropertySignature => ts.isPropertySignature(member) && nameOf(member) === 'schemas',
  );
  const schemaType = schemaMember?.type;
  if (!schemaMember || !schemaType || !ts.isTypeLiteralNode(schemaType)) throw new Error('no `components.schemas`');
  const groups = schemaGroups(document, tags);
  const byGroup = new Map<string, ts.TypeElement[]>();
  /** What each file's comment says it holds. */
  const described = new Map<string, string>();
  for (const member of schemaType.members) {
    const group = groups.get(nameOf(member)) ?? familyOf.get(nameOf(member)) ?? SHARED_GROUP;
    // A schema as long as a file (the audit event union) gets one of its own, named after it: "AuditEvent" →
    // audit-event-schemas.ts, so no file of schemas grows past what a reader takes in.
    const ownFile = astToString([member]).split('\n').length > OWN_FILE_LINES;
    const key = ownFile ? nameOf(member).replace(/([a-z0-9])([A-Z])/g, '$1 $2') : group;
    described.set(
      key,
      ownFile
        ? `The ${nameOf(member)} schema ("${group}" routes).`
        : SHARED_FAMILIES[group]
          ? `The schemas of the ${group.toLowerCase()}, which several groups of routes use.`
          : `The schemas of the "${group}" routes.`,
    );
    byGroup.set(key, [...(byGroup.get(key) ?? []), member]);
  }
  const groupNames = [...byGroup.keys()].sort();
  for (const group of groupNames) {
    const declaration = ts.factory.createInterfaceDeclaration(
      [ts.factory.createModifier(ts.SyntaxKind.ExportKeyword)],
      `${identifierOf(group)}Schemas`,
      undefined,
      undefined,
      byGroup.get(group) ?? [],
    );
    const printed = astToString([declaration]);
    // Only schemas that point at other schemas need the import.
    const importing = printed.includes('components[') ? "import type { components } from './components';\n" : '';
    files.set(`${fileNameOf(group)}-schemas.ts`, `/** ${described.get(group)} */\n${importing}\n${printed}`);
  }
  const reassembled = ts.factory.updateInterfaceDeclaration(
    components,
    components.modifiers,
    components.name,
    components.typeParameters,
    components.heritageClauses,
    components.members.map((member) =>
      member === schemaMember
        ? ts.factory.updatePropertySignature(
            schemaMember,
            schemaMember.modifiers,
            schemaMember.name,
            schemaMember.questionToken,
            ts.factory.createTypeReferenceNode('schemas'),
          )
        : member,
    ),
  );
  files.set(
    'components.ts',
    [
      ...groupNames.map(
        (group) => `import type { ${identifierOf(group)}Schemas } from './${fileNameOf(group)}-schemas';`,
      ),
      '',
      '/** Every schema, from the files that group them by the routes using them. */',
      `export interface schemas extends ${groupNames.map((group) => `${identifierOf(group)}Schemas`).join(', ')} {}`,
      '',
      astToString([reassembled, ...rest]),
    ].join('\n'),
  );

  for (const [tag, paths] of tags) {
    const own = declarations(await openapiTS({ ...document, paths }));
    files.set(
      `${fileNameOf(tag)}.ts`,
      `/** The "${tag}" routes. */\nimport type { components } from './components';\n\n${astToString(pick(own, ['paths', 'operations']))}`,
    );
  }

  const imports = tags.map(
    ([tag]) =>
      `import type { operations as ${identifierOf(tag)}Operations, paths as ${identifierOf(tag)}Paths } from './${fileNameOf(tag)}';`,
  );
  const extend = (kind: string) => tags.map(([tag]) => `${identifierOf(tag)}${kind}`).join(', ');
  files.set(
    'index.ts',
    [
      '/** Every route of the API: the per-tag files merged back into the shapes openapi-fetch takes. */',
      ...imports,
      '',
      "export type { $defs, components, webhooks } from './components';",
      '',
      `export interface paths extends ${extend('Paths')} {}`,
      '',
      `export interface operations extends ${extend('Operations')} {}`,
      '',
    ].join('\n'),
  );

  // One Biome process per file, all at once: each is mostly start-up time.
  const formatted = await Promise.all(
    [...files].map(async ([name, source]) => [name, await biome(`${HEADER}\n${source}`, join(OUT_DIR, name))] as const),
  );
  return new Map(formatted);
}

const listed = (dir: string) => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.ts'));
  } catch {
    return [];
  }
};

const files = await generate();

if (process.argv.includes('--check')) {
  const scratch = mkdtempSync(join(tmpdir(), 'flagline-api-types-'));
  try {
    for (const [name, source] of files) writeFileSync(join(scratch, name), source);
    const stale: string[] = [];
    for (const name of new Set([...listed(scratch), ...listed(OUT_DIR)])) {
      const read = (dir: string) => {
        try {
          return readFileSync(join(dir, name), 'utf8');
        } catch {
          return undefined;
        }
      };
      const committed = read(OUT_DIR);
      const fresh = read(scratch);
      const where = relative(ROOT, join(OUT_DIR, name));
      if (committed === undefined) stale.push(`${where} is missing`);
      else if (fresh === undefined) stale.push(`${where} is no longer generated`);
      else if (committed !== fresh) stale.push(`${where} differs from what openapi.json produces`);
    }
    if (stale.length > 0) {
      for (const line of stale) console.error(line);
      console.error('The SDK API types are stale. Run `npm run openapi` and commit the result.');
      process.exit(1);
    }
    console.log(`${files.size} API type files match openapi.json.`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const name of listed(OUT_DIR)) if (!files.has(name)) rmSync(join(OUT_DIR, name));
  for (const [name, source] of files) writeFileSync(join(OUT_DIR, name), source);
  console.log(`Wrote ${files.size} files to ${relative(ROOT, OUT_DIR)}.`);
}
