import type { AuditEvent, FlagView, Schedule } from '@flagline/core';
import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../src/features/flags/timeline/build-timeline';

let nextId = 1;
// The timeline reads type, time and before/after, never `data`, so the fixture leaves data empty for every type.
const event = (type: AuditEvent['type'], at: string, fields: Partial<AuditEvent> = {}): AuditEvent =>
  ({
    id: String(nextId++),
    type,
    occurredAt: at,
    actor: { type: 'token', id: 'release-bot', email: null },
    environment: 'production',
    flagKey: 'checkout',
    scheduleId: null,
    requestId: null,
    data: {},
    before: null,
    after: null,
    prevHash: null,
    hash: null,
    ...fields,
  }) as AuditEvent;

const flag: FlagView = {
  key: 'checkout',
  description: '',
  environment: 'production',
  enabled: true,
  rolloutPercentage: 50,
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T03:00:00.000Z',
};

const pending = (scheduledAt: string, updates: Schedule['updates']): Schedule => ({
  id: `s-${scheduledAt}`,
  flagKey: 'checkout',
  environment: 'production',
  scheduledAt,
  status: 'pending',
  updates,
  appliedAt: null,
  errorMessage: null,
  retryCount: 0,
  maxRetries: 3,
  nextRetryAt: null,
  lastError: null,
  createdBy: 'release-bot',
  cancelledBy: null,
  cancelledAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const actor = (item: AuditEvent) => item.actor.id;

describe('buildTimeline', () => {
  it("draws the state changes of the flag's history, oldest first, and skips overrides and schedule bookkeeping", () => {
    // The history endpoint answers newest first, with every event of the flag in the environment.
    const history = [
      event('flag_schedule.applied', '2026-01-01T03:00:00.000Z', {
        actor: { type: 'system', id: 'scheduler', email: null },
        before: { enabled: true, rolloutPercentage: 20 },
        after: { enabled: true, rolloutPercentage: 50 },
      }),
      event('flag_schedule.created', '2026-01-01T02:30:00.000Z', { after: { updates: { rolloutPercentage: 50 } } }),
      event('flag_override.set', '2026-01-01T02:00:00.000Z', { after: { userId: 'u1', overrideType: 'include' } }),
      event('flag.updated', '2026-01-01T01:00:00.000Z', {
        before: { enabled: false, rolloutPercentage: 0 },
        after: { enabled: true, rolloutPercentage: 20 },
      }),
      event('flag.created', '2026-01-01T00:00:00.000Z', { environment: null }),
    ];
    const { past, future } = buildTimeline(history, [], flag, actor);
    expect(past.map(({ kind, enabled, rollout, label }) => ({ kind, enabled, rollout, label }))).toEqual([
      { kind: 'created', enabled: false, rollout: 0, label: 'Created by release-bot' },
      { kind: 'change', enabled: true, rollout: 20, label: 'Changed by release-bot' },
      { kind: 'applied', enabled: true, rollout: 50, label: 'Schedule applied by the scheduler' },
    ]);
    expect(future).toEqual([]);
  });

  it('starts a cut history from the state its first change replaced, and stacks pending schedules ahead', () => {
    const history = [
      event('flag_override.set', '2026-01-01T02:00:00.000Z', { after: { userId: 'u1', overrideType: 'include' } }),
      event('flag.updated', '2026-01-01T01:00:00.000Z', {
        before: { enabled: true, rolloutPercentage: 10 },
        after: { enabled: true, rolloutPercentage: 50 },
      }),
    ];
    const later = [
      pending('2026-01-03T00:00:00.000Z', { enabled: false }),
      pending('2026-01-02T00:00:00.000Z', { rolloutPercentage: 100 }),
    ];
    const { past, future } = buildTimeline(history, later, flag, actor);
    expect(past.map(({ label, rollout }) => [label, rollout])).toEqual([
      ['Earlier state', 10],
      ['Changed by release-bot', 50],
    ]);
    expect(future.map(({ enabled, rollout }) => [enabled, rollout])).toEqual([
      [true, 100],
      [false, 100],
    ]);
  });

  it('draws the steps of a plan being built among the pending schedules, in time order, each on the state before it', () => {
    const { future } = buildTimeline([], [pending('2026-01-02T12:00:00.000Z', { enabled: false })], flag, actor, [
      { scheduledAt: '2026-01-02T09:00:00.000Z', updates: { rolloutPercentage: 75 } },
      { scheduledAt: '2026-01-03T09:00:00.000Z', updates: { enabled: true, rolloutPercentage: 100 } },
    ]);
    expect(future.map(({ kind, enabled, rollout, label }) => ({ kind, enabled, rollout, label }))).toEqual([
      { kind: 'planned', enabled: true, rollout: 75, label: 'Plan step 1 (not saved)' },
      { kind: 'scheduled', enabled: false, rollout: 75, label: 'Scheduled' },
      { kind: 'planned', enabled: true, rollout: 100, label: 'Plan step 2 (not saved)' },
    ]);
  });
});
