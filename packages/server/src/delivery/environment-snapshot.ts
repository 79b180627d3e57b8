import { createHash } from 'node:crypto';
import {
  type CompiledFlag,
  type EvaluableFlag,
  type EvaluationContext,
  type EvaluationReason,
  evaluateFlag,
  type FlagType,
  type ResolutionReason,
  type RulesetFlag,
  type Segment,
} from '@flagline/core';

/** One environment's flags as evaluation serves them: compiled, with the JSON bodies they answer with, built once. */
export interface SnapshotFlag extends EvaluableFlag {
  readonly description: string;
  readonly type: FlagType;
  /** The flag as SDKs receive it: the origin's fields, plus the typed ones unless it is a plain boolean flag. */
  readonly ruleset: RulesetFlag;
  /** Compiled once per snapshot: what every evaluation runs. */
  readonly compiled: CompiledFlag;
  /** A boolean flag without variants, rules, fallthrough or pins: the origin's model, served on the fast paths. */
  readonly plain: boolean;
  /** Keys of the segments its rules reference. */
  readonly segmentKeys: readonly string[];
}

/** Our reasons are OpenFeature's, except that a missing flag is an error code there, not a reason. */
export const ofrepReason = (reason: EvaluationReason | ResolutionReason): string =>
  reason === 'FLAG_NOT_FOUND' ? 'ERROR' : reason;

const NO_CONTEXT: EvaluationContext = Object.freeze({});

/** The evaluation context of a caller known only by a user id (the origin's routes). */
export const userContext = (userId: string | undefined): EvaluationContext =>
  userId ? { targetingKey: userId } : NO_CONTEXT;

interface RulesetEntry {
  readonly flag: RulesetFlag;
  readonly json: string;
  /** The flag's JSON and that of every segment it uses: what a change is detected on. */
  readonly fingerprint: string;
}

/**
 * Each flag's ruleset JSON, kept with the flag object: a snapshot rebuilt after a change reuses the flags the change
 * did not touch (snapshot-changes.ts), and with them their JSON.
 */
const rulesetJson = new WeakMap<SnapshotFlag, string>();

function rulesetJsonOf(flag: SnapshotFlag): string {
  let json = rulesetJson.get(flag);
  if (json === undefined) {
    json = JSON.stringify(flag.ruleset);
    rulesetJson.set(flag, json);
  }
  return json;
}

export class EnvironmentSnapshot {
  private readonly list: SnapshotFlag[];
  /** `"flagKey":` for each flag, encoded once per snapshot rather than once per request. */
  private readonly jsonKeys: string[];
  /** Whether any flag reads more of the context than the targeting key. */
  readonly readsAttributes: boolean;
  /** The segments this environment's flags reference, by key. */
  readonly segments: ReadonlyMap<string, { segment: Segment; json: string }>;

  private rulesetFlags: Map<string, RulesetEntry> | undefined;
  private ruleset: { json: string; etag: string } | undefined;
  /** What surrounds each flag's result in the OFREP bulk body: `{"key":…,"value":` and `,"metadata":{…}}`. */
  private ofrepFragments: { prefixes: string[]; suffixes: string[] } | undefined;
  private ofrepEtagPrefix: string | undefined;

  constructor(
    readonly key: string,
    readonly flags: ReadonlyMap<string, SnapshotFlag>,
    readonly version: number,
    allSegments: ReadonlyMap<string, Segment> = new Map(),
  ) {
    this.list = [...flags.values()];
    this.jsonKeys = this.list.map((flag) => `${JSON.stringify(flag.key)}:`);
    this.readsAttributes = this.list.some((flag) => !flag.plain);
    const used = new Map<string, { segment: Segment; json: string }>();
    for (const key of [...new Set(this.list.flatMap((flag) => flag.segmentKeys))].sort()) {
      const segment = allSegments.get(key);
      if (segment) used.set(key, { segment, json: JSON.stringify(segment) });
    }
    this.segments = used;
  }

  /** Each flag as SDKs receive it, with its JSON and what a change is detected on. */
  rulesetFlagMap(): ReadonlyMap<string, RulesetEntry> {
    if (!this.rulesetFlags) {
      this.rulesetFlags = new Map(
        this.list.map((flag) => {
          const json = rulesetJsonOf(flag);
          const segmentJson = flag.segmentKeys.map((key) => this.segments.get(key)?.json ?? 'null').join(',');
          return [flag.key, { flag: flag.ruleset, json, fingerprint: `${json}\u0000${segmentJson}` }];
        }),
      );
    }
    return this.rulesetFlags;
  }

  /** The body of GET /api/client/flags and its entity tag, serialised once per snapshot, on first use. */
  rulesetBody(): { json: string; etag: string } {
    if (!this.ruleset) {
      const flagsJson = [...this.rulesetFlagMap().values()].map((entry) => entry.json).join(',');
      // No `segments` member while no flag uses one, so an origin-style ruleset stays byte for byte what it was.
      const segmentsJson =
        this.segments.size === 0 ? '' : `,"segments":[${[...this.segments.values()].map((s) => s.json).join(',')}]`;
      const json = `{"environment":${JSON.stringify(this.key)},"version":${this.version},"flags":[${flagsJson}]${segmentsJson}}`;
      this.ruleset = { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"` };
    }
    return this.ruleset;
  }

  /**
   * The body of OFREP bulk evaluation for one context: the bytes JSON.stringify gives for
   * `{ flags: [{ key, value, reason, variant, metadata }] }`, built without those objects. A plain boolean flag's
   * metadata is `{ rolloutPercentage }`; a typed flag's is the engine's (the matched rule's id), plus
   * rolloutPercentage for a boolean one; a flag the engine cannot evaluate is an OFREP failure in the list.
   */
  ofrepBulkJson(context: EvaluationContext): string {
    this.ofrepFragments ??= {
      prefixes: this.list.map((flag) => `{"key":${JSON.stringify(flag.key)},"value":`),
      suffixes: this.list.map(
        (flag) => `,"metadata":${JSON.stringify({ rolloutPercentage: flag.rolloutPercentage })}}`,
      ),
    };
    const { prefixes, suffixes } = this.ofrepFragments;
    let json = '{"flags":[';
    for (let i = 0; i < this.list.length; i++) {
      const flag = this.list[i] as SnapshotFlag;
      const resolution = evaluateFlag(flag.compiled, context);
      const separator = i === 0 ? '' : ',';
      if (flag.plain) {
        // Reasons and on/off are upper-case identifiers: nothing in them needs escaping.
        json += `${separator}${prefixes[i]}${resolution.value},"reason":"${ofrepReason(resolution.reason)}","variant":"${resolution.variant}"${suffixes[i]}`;
      } else {
        json += separator + JSON.stringify(ofrepResult(flag, resolution));
      }
    }
    return `${json}]}`;
  }

  /**
   * The OFREP bulk entity tag: the result depends on the ruleset and on the context, so the tag covers both — the
   * targeting key alone while every flag is plain, the whole context once a flag can read its attributes.
   */
  ofrepEtag(context: EvaluationContext): string {
    this.ofrepEtagPrefix ??= `${this.rulesetBody().etag.slice(0, -1)}-`;
    const targetingKey = typeof context.targetingKey === 'string' ? context.targetingKey : '';
    if (!this.readsAttributes) return `${this.ofrepEtagPrefix}${Buffer.from(targetingKey).toString('base64url')}"`;
    const digest = createHash('sha256').update(JSON.stringify(context)).digest('base64url').slice(0, 32);
    return `${this.ofrepEtagPrefix}c${digest}"`;
  }

  /**
   * OFREP bulk for a frontend token: values, reasons and variants only. Metadata names the matched rule and the
   * rollout, which describe the configuration rather than this caller's values.
   */
  ofrepBulkValuesJson(context: EvaluationContext): string {
    const flags = this.list.map((flag) => ofrepValueOnly(ofrepResult(flag, evaluateFlag(flag.compiled, context))));
    return JSON.stringify({ flags });
  }

  /** `{ flagKey: boolean }` for one user: the boolean flags (the origin's answer has no room for other types). */
  evaluateAll(userId: string | undefined): Record<string, boolean> {
    const result: Record<string, boolean> = {};
    const context = userContext(userId);
    for (const flag of this.list) {
      if (flag.type === 'boolean') result[flag.key] = evaluateFlag(flag.compiled, context).value === true;
    }
    return result;
  }

  /** The same as evaluateAll, already serialised: the body of GET /api/config/flags, the hottest path. */
  evaluateAllJson(userId: string | undefined): string {
    const context = userContext(userId);
    let json = '{';
    let first = true;
    for (let i = 0; i < this.list.length; i++) {
      const flag = this.list[i] as SnapshotFlag;
      if (flag.type !== 'boolean') continue;
      json += `${first ? '' : ','}${this.jsonKeys[i]}${evaluateFlag(flag.compiled, context).value === true}`;
      first = false;
    }
    return `${json}}`;
  }
}

/** One flag's OFREP answer: a success, or OFREP's failure shape when the engine could not evaluate it. */
export function ofrepResult(flag: SnapshotFlag, resolution: ReturnType<typeof evaluateFlag>) {
  if (resolution.errorCode !== undefined) {
    return { key: flag.key, errorCode: resolution.errorCode, errorDetails: resolution.errorMessage ?? '' };
  }
  const metadata =
    flag.type === 'boolean'
      ? { rolloutPercentage: flag.rolloutPercentage, ...resolution.metadata }
      : (resolution.metadata ?? undefined);
  return {
    key: flag.key,
    value: resolution.value,
    reason: ofrepReason(resolution.reason),
    variant: resolution.variant,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** An OFREP result without its metadata (for frontend tokens). */
export function ofrepValueOnly(result: ReturnType<typeof ofrepResult>) {
  if (!('metadata' in result)) return result;
  const { metadata: _metadata, ...rest } = result;
  return rest;
}
