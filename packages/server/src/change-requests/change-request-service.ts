import type {
  Actor,
  AuditEvent,
  ChangeRequest,
  ChangeRequestPage,
  DecideChangeRequestBody,
  Environment,
  ListChangeRequestsQuery,
  RequestedChange,
  UpdateEnvironmentBody,
} from '@flagline/core';
import { actorSchema, requestedChangeSchema } from '@flagline/core';
import { AuditRecorder } from '../audit/recorder';
import type { Db } from '../db/client';
import { type ChangeContext, type ChangeScope, runChange, type UnitOfWorkDeps } from '../db/unit-of-work';
import { updateEnvironmentIn } from '../environments/environment-service';
import { firstProtectedEnvironment, isProtectedEnvironment } from '../environments/environment-store';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../shared/cursor';
import { AppError, notFound } from '../shared/errors';
import {
  type AppliedResult,
  type ApplySettings,
  applyChange,
  type ChangeOfKind,
  type ChangeTarget,
  pinVersion,
} from './appliers';
import {
  type ChangeRequestRow,
  decideChangeRequest,
  findChangeRequest,
  insertChangeRequest,
  lockExpiredRequests,
  pageChangeRequests,
} from './change-request-store';

export interface ApprovalDeps extends UnitOfWorkDeps {
  settings: ApplySettings;
}

/** A write either happened, or (in a protected environment) waits for a second admin as a change request. */
export type ChangeOutcome<K extends RequestedChange['kind']> =
  | { applied: AppliedResult[K]; changeRequest?: undefined }
  | { changeRequest: ChangeRequest; applied?: undefined };

const asActor = (value: Record<string, unknown>): Actor => actorSchema.parse(value);

export function toChangeRequest(row: ChangeRequestRow): ChangeRequest {
  return {
    id: row.id,
    environment: row.environment,
    flagKey: row.flagKey,
    change: requestedChangeSchema.parse(row.change),
    status: row.status,
    preview: row.preview.map((entry) => ({
      type: String(entry.type),
      before: (entry.before ?? null) as Record<string, unknown> | null,
      after: (entry.after ?? null) as Record<string, unknown> | null,
    })),
    requestedBy: asActor(row.requestedBy),
    requestedAt: row.createdAt.toISOString(),
    comment: row.comment,
    decidedBy: row.decidedBy ? asActor(row.decidedBy) : null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionComment: row.decisionComment,
    error: row.error,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

const ROLLBACK = Symbol('preview rollback');

/**
 * Runs the change in a savepoint that is always rolled back, and keeps the audit events it would record: the diff a
 * reviewer approves. It also checks the change as the direct route would (a bad change is a 4xx now, not a request).
 */
async function previewChange(
  scope: ChangeScope,
  target: ChangeTarget,
  change: RequestedChange,
  settings: ApplySettings,
): Promise<AuditEvent[]> {
  let events: AuditEvent[] = [];
  try {
    await scope.tx.transaction(async (savepoint) => {
      const audit = new AuditRecorder(savepoint, scope.actor, scope.requestId);
      await applyChange({ ...scope, tx: savepoint, audit }, target, change, settings);
      events = audit.recorded;
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return events;
}

/**
 * A one-off schedule nobody approved in time expires at its time, a plan at its first step's; a recurring schedule is
 * armed from its next occurrence.
 */
function expiryOf(change: RequestedChange): Date | null {
  if (change.kind === 'schedule.create' && change.body.scheduledAt) return new Date(change.body.scheduledAt);
  if (change.kind === 'plan.create' && change.body.steps[0]) return new Date(change.body.steps[0].scheduledAt);
  return null;
}

async function requestIn(
  scope: ChangeScope,
  target: ChangeTarget,
  requested: RequestedChange,
  settings: ApplySettings,
): Promise<ChangeRequest | undefined> {
  const change = await pinVersion(scope, target, requested);
  const events = await previewChange(scope, target, change, settings);
  // A change that would record nothing changes nothing: there is nothing to approve.
  if (events.length === 0) return undefined;
  const row = await insertChangeRequest(scope.tx, {
    environment: target.environment,
    flagKey: target.flagKey,
    kind: change.kind,
    change,
    preview: events.map((event) => ({ type: event.type, before: event.before, after: event.after })),
    requestedBy: { ...scope.actor },
    // Milliseconds, as the list's cursor carries them.
    createdAt: new Date(),
    expiresAt: expiryOf(change),
  });
  await scope.audit.record({
    type: 'change_request.requested',
    environment: target.environment,
    flagKey: target.flagKey,
    data: { changeRequestId: row.id, kind: change.kind },
    before: null,
    after: { change },
  });
  return toChangeRequest(row);
}

/**
 * A guarded write: `requestedIn` says, inside the change's transaction, where the change would need a second admin
 * (undefined: nowhere); there it is checked, previewed and stored as a pending change request, elsewhere made at once.
 */
async function guardedChange<K extends RequestedChange['kind']>(
  deps: ApprovalDeps,
  context: ChangeContext,
  target: ChangeTarget,
  change: ChangeOfKind<K>,
  requestedIn: (scope: ChangeScope) => Promise<ChangeTarget | undefined>,
): Promise<ChangeOutcome<K>> {
  return runChange(deps, context, async (scope): Promise<ChangeOutcome<K>> => {
    const requestTarget = await requestedIn(scope);
    if (requestTarget) {
      const changeRequest = await requestIn(scope, requestTarget, change, deps.settings);
      if (changeRequest) return { changeRequest };
    }
    return { applied: await applyChange(scope, target, change, deps.settings) };
  });
}

/**
 * The use case every guarded write goes through: in an unprotected environment the change is made at once; in a
 * protected one it is checked, previewed and stored as a pending change request (the route answers 202), in the
 * same transaction that read the protection, so a change cannot slip past a protection being switched on.
 */
export function changeOrRequest<K extends RequestedChange['kind']>(
  deps: ApprovalDeps,
  context: ChangeContext,
  target: ChangeTarget,
  change: ChangeOfKind<K>,
): Promise<ChangeOutcome<K>> {
  return guardedChange(deps, context, target, change, async (scope) =>
    (await isProtectedEnvironment(scope.tx, target.environment)) ? target : undefined,
  );
}

/**
 * The guarded write for a change to a flag itself (its variants, its deletion): it reaches every environment, so when
 * any is protected it is requested there (the first protected one by key) and waits for a second admin.
 */
export function changeFlagOrRequest<K extends 'flag.variants' | 'flag.delete'>(
  deps: ApprovalDeps,
  context: ChangeContext,
  flagKey: string,
  change: ChangeOfKind<K>,
): Promise<ChangeOutcome<K>> {
  // Flag-level appliers read no environment: applied at once, the target's is left empty.
  return guardedChange(deps, context, { environment: '', flagKey }, change, async (scope) => {
    const environment = await firstProtectedEnvironment(scope.tx);
    return environment === undefined ? undefined : { environment, flagKey };
  });
}

/**
 * Renames or (un)protects an environment. Protecting takes effect at once; turning protection off is itself a change
 * to a protected environment, so it waits for a second admin (a rename in the same request is made at once).
 */
export async function updateEnvironmentOrRequest(
  deps: ApprovalDeps,
  context: ChangeContext,
  key: string,
  body: UpdateEnvironmentBody,
): Promise<
  { applied: Environment; changeRequest?: undefined } | { changeRequest: ChangeRequest; applied?: undefined }
> {
  return runChange(deps, context, async (scope) => {
    const unprotecting = body.protected === false && (await isProtectedEnvironment(scope.tx, key));
    const { protected: _protected, ...rename } = body;
    const applied = await updateEnvironmentIn(scope, key, unprotecting ? rename : body);
    if (!unprotecting) return { applied };
    const target = { environment: key, flagKey: null };
    const changeRequest = await requestIn(scope, target, { kind: 'environment.unprotect' }, deps.settings);
    return changeRequest ? { changeRequest } : { applied };
  });
}

const sameActor = (a: Actor, b: Actor) => a.type === b.type && a.id === b.id;

async function lockPending(scope: ChangeScope, id: string): Promise<ChangeRequestRow> {
  const row = await findChangeRequest(scope.tx, id, { lock: true });
  if (!row) throw notFound(`Change request "${id}"`);
  if (row.status !== 'pending') {
    throw new AppError('INVALID_STATE', `Change request "${id}" is ${row.status}, not pending.`, {
      status: row.status,
    });
  }
  return row;
}

/** Thrown out of the approval transaction when the change itself failed, to record that in a transaction of its own. */
class ApplyFailed extends Error {
  constructor(
    readonly reason: AppError,
    readonly status: 'failed' | 'expired',
  ) {
    super(reason.message);
  }
}

const TIME_PASSED = 'Its scheduled time passed before it was approved.';

const decisionEvent = (row: ChangeRequestRow, comment: string | null, error?: string) => ({
  environment: row.environment,
  flagKey: row.flagKey,
  data: { changeRequestId: row.id, kind: row.kind, comment, ...(error === undefined ? {} : { error }) },
  before: { status: row.status },
});

/**
 * A second admin approves: the change is made now, in this transaction, with the approver as its actor (the
 * request's requester and approver are both in its events). Approving one's own request is 403. When the change no
 * longer applies (the flag moved on, a schedule's time passed), nothing changes and the request is failed or expired.
 */
export async function approveChangeRequest(
  deps: ApprovalDeps,
  context: ChangeContext,
  id: string,
  body: DecideChangeRequestBody,
): Promise<ChangeRequest> {
  const comment = body.comment ?? null;
  try {
    return await runChange(deps, context, async (scope) => {
      const row = await lockPending(scope, id);
      if (sameActor(asActor(row.requestedBy), scope.actor)) {
        throw new AppError('FORBIDDEN', 'A change request must be approved by someone other than its requester.');
      }
      if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
        throw new ApplyFailed(new AppError('INVALID_STATE', TIME_PASSED), 'expired');
      }
      await scope.audit.record({
        type: 'change_request.approved',
        ...decisionEvent(row, comment),
        after: { status: 'approved' },
      });
      const change = requestedChangeSchema.parse(row.change);
      try {
        await applyChange(scope, { environment: row.environment, flagKey: row.flagKey }, change, deps.settings);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) throw new ApplyFailed(error, 'failed');
        throw error;
      }
      const decided = await decideChangeRequest(scope.tx, id, {
        status: 'applied',
        decidedBy: { ...scope.actor },
        decidedAt: new Date(),
        decisionComment: comment,
        error: null,
      });
      await scope.audit.record({
        type: 'change_request.applied',
        ...decisionEvent(row, comment),
        after: { status: 'applied' },
      });
      return toChangeRequest(decided);
    });
  } catch (error) {
    if (!(error instanceof ApplyFailed)) throw error;
    const closed = await closeRequest(deps, context, id, error.status, comment, error.reason.message);
    throw new AppError('INVALID_STATE', `The change was not applied: ${error.reason.message}`, {
      changeRequest: closed,
      cause: error.reason.code,
    });
  }
}

async function closeRequest(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  id: string,
  status: 'failed' | 'expired',
  comment: string | null,
  message: string,
): Promise<ChangeRequest> {
  return runChange(deps, context, async (scope) => {
    const row = await lockPending(scope, id);
    const decided = await decideChangeRequest(scope.tx, id, {
      status,
      decidedBy: { ...scope.actor },
      decidedAt: new Date(),
      decisionComment: comment,
      error: message,
    });
    await scope.audit.record({
      type: status === 'failed' ? 'change_request.failed' : 'change_request.expired',
      ...decisionEvent(row, comment, message),
      after: { status },
    });
    return toChangeRequest(decided);
  });
}

/** Rejects (or, by its requester, withdraws) a pending request; nothing is changed. */
export async function rejectChangeRequest(
  deps: UnitOfWorkDeps,
  context: ChangeContext,
  id: string,
  body: DecideChangeRequestBody,
): Promise<ChangeRequest> {
  const comment = body.comment ?? null;
  return runChange(deps, context, async (scope) => {
    const row = await lockPending(scope, id);
    const decided = await decideChangeRequest(scope.tx, id, {
      status: 'rejected',
      decidedBy: { ...scope.actor },
      decidedAt: new Date(),
      decisionComment: comment,
      error: null,
    });
    await scope.audit.record({
      type: 'change_request.rejected',
      ...decisionEvent(row, comment),
      after: { status: 'rejected' },
    });
    return toChangeRequest(decided);
  });
}

/** Schedules nobody approved before their time: they expire, audited, and never apply. */
export async function expireChangeRequests(deps: UnitOfWorkDeps, now = new Date()): Promise<number> {
  return runChange(
    deps,
    { actor: { type: 'system', id: 'approvals', email: null }, requestId: null },
    async (scope) => {
      const rows = await lockExpiredRequests(scope.tx, now, 100);
      for (const row of rows) {
        const message = TIME_PASSED;
        await decideChangeRequest(scope.tx, row.id, {
          status: 'expired',
          decidedBy: null,
          decidedAt: now,
          decisionComment: null,
          error: message,
        });
        await scope.audit.record({
          type: 'change_request.expired',
          ...decisionEvent(row, null, message),
          after: { status: 'expired' },
        });
      }
      return rows.length;
    },
  );
}

export async function getChangeRequest(db: Db, id: string): Promise<ChangeRequest> {
  const row = await findChangeRequest(db, id);
  if (!row) throw notFound(`Change request "${id}"`);
  return toChangeRequest(row);
}

export async function listChangeRequests(db: Db, query: ListChangeRequestsQuery): Promise<ChangeRequestPage> {
  const after = query.cursor ? decodeCursor(query.cursor, isTimeIdCursor) : undefined;
  const rows = await pageChangeRequests(db, query, after ? { at: new Date(after.t), id: after.i } : undefined);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toChangeRequest),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor({ t: last.createdAt.toISOString(), i: last.id }) : null,
  };
}
