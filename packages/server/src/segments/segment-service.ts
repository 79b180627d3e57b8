import type { CreateSegmentBody, ReplaceSegmentBody, SegmentList, SegmentUsage, SegmentView } from '@flagline/core';
import canonicalize from 'canonicalize';
import type { Db, Executor } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { assertNoProblems, segmentProblems } from '../flags/targeting-validation';
import { AppError, notFound, sqlState, UNIQUE_VIOLATION } from '../shared/errors';
import {
  allSegmentUsage,
  deleteSegmentRow,
  findSegment,
  insertSegment,
  listSegmentRows,
  replaceSegment,
  type SegmentRow,
  segmentUsage,
} from './segment-store';

function toSegmentView(row: SegmentRow, usedBy: SegmentUsage[]): SegmentView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    constraints: row.constraints,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    usedBy,
  };
}

/** What the audit keeps of a segment. */
const recordOf = (row: SegmentRow) => ({
  key: row.key,
  name: row.name,
  description: row.description,
  constraints: row.constraints,
  version: row.version,
});

function checkVersion(row: SegmentRow, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `Segment "${row.key}" is at version ${row.version}, not ${expectedVersion}.`,
      { currentVersion: row.version },
    );
  }
}

async function requireSegment(db: Executor, key: string, lock = false): Promise<SegmentRow> {
  const row = await findSegment(db, key, { lock });
  if (!row) throw notFound(`Segment "${key}"`);
  return row;
}

export async function listSegments(db: Db): Promise<SegmentList> {
  const [rows, usage] = await Promise.all([listSegmentRows(db), allSegmentUsage(db)]);
  return { items: rows.map((row) => toSegmentView(row, usage.get(row.key) ?? [])) };
}

export async function getSegment(db: Db, key: string): Promise<SegmentView> {
  const row = await requireSegment(db, key);
  return toSegmentView(row, await segmentUsage(db, key));
}

export async function createSegment(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  body: CreateSegmentBody,
): Promise<SegmentView> {
  try {
    return await runChange(deps, context, (scope) => createSegmentIn(scope, body));
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw segmentExists(body.key);
    throw error;
  }
}

const segmentExists = (key: string) => new AppError('ALREADY_EXISTS', `Segment "${key}" already exists.`);

/** createSegment inside a change already under way (an import creating segments and the flags using them). */
export async function createSegmentIn({ tx, audit }: ChangeScope, body: CreateSegmentBody): Promise<SegmentView> {
  const constraints = body.constraints ?? [];
  assertNoProblems(segmentProblems(constraints));
  const row = await insertSegment(tx, {
    key: body.key,
    name: body.name,
    description: body.description ?? '',
    constraints,
  });
  if (!row) throw segmentExists(body.key);
  await audit.record({
    type: 'segment.created',
    data: { segmentKey: row.key, name: row.name },
    before: null,
    after: recordOf(row),
  });
  return toSegmentView(row, []);
}

/**
 * Replaces a segment. It changes every flag whose rules use it, so it is one audited change that bumps the config
 * version: every instance reloads and those flags evaluate with the new constraints.
 */
export async function updateSegment(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: SegmentReplacement,
): Promise<SegmentView> {
  return runChange(deps, context, (scope) => updateSegmentIn(scope, input));
}

export interface SegmentReplacement {
  key: string;
  body: ReplaceSegmentBody;
  expectedVersion?: number | undefined;
}

/** updateSegment inside a change already under way. */
export async function updateSegmentIn({ tx, audit }: ChangeScope, input: SegmentReplacement): Promise<SegmentView> {
  const next = {
    name: input.body.name,
    description: input.body.description ?? '',
    constraints: input.body.constraints ?? [],
  };
  assertNoProblems(segmentProblems(next.constraints));
  const current = await requireSegment(tx, input.key, true);
  checkVersion(current, input.expectedVersion);
  const usedBy = await segmentUsage(tx, input.key);
  const changedFields = (['name', 'description', 'constraints'] as const).filter(
    // jsonb keeps its own key order: compare canonical forms.
    (field) => canonicalize(current[field]) !== canonicalize(next[field]),
  );
  if (changedFields.length === 0) return toSegmentView(current, usedBy);
  const row = await replaceSegment(tx, input.key, next, new Date());
  await audit.record({
    type: 'segment.updated',
    data: { segmentKey: input.key, changedFields, usedBy },
    before: recordOf(current),
    after: recordOf(row),
  });
  return toSegmentView(row, usedBy);
}

/** Deletes an unused segment; one that rules still reference is 409 INVALID_STATE naming the flags. */
export async function deleteSegment(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  input: { key: string; expectedVersion: number | undefined },
): Promise<void> {
  await runChange(deps, context, async ({ tx, audit }) => {
    // Locked for update: a change adding a rule that references it holds a share lock, so this waits and then sees it.
    const current = await requireSegment(tx, input.key, true);
    checkVersion(current, input.expectedVersion);
    const usedBy = await segmentUsage(tx, input.key);
    if (usedBy.length > 0) {
      const names = usedBy.map((use) => `${use.flagKey} (${use.environment})`).join(', ');
      throw new AppError('INVALID_STATE', `Segment "${input.key}" is used by the rules of ${names}.`, {
        flags: usedBy,
      });
    }
    await deleteSegmentRow(tx, input.key);
    await audit.record({
      type: 'segment.deleted',
      data: { segmentKey: input.key },
      before: recordOf(current),
      after: null,
    });
  });
}
