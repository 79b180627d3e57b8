import type { AuditEvent, AuditEventType, FlagView, Schedule, ScheduleUpdates } from '@flagline/core';

export interface TimelinePoint {
  at: number;
  enabled: boolean;
  rollout: number;
  /** `planned`: a step of a plan being built, not saved yet. */
  kind: 'created' | 'change' | 'applied' | 'scheduled' | 'planned';
  label: string;
}

/** The events of a flag's history that change what it serves (overrides and schedule bookkeeping do not). */
const STATE_EVENTS: ReadonlySet<AuditEventType> = new Set(['flag.created', 'flag.updated', 'flag_schedule.applied']);

const asState = (value: unknown): { enabled?: boolean; rolloutPercentage?: number } =>
  value && typeof value === 'object' ? (value as { enabled?: boolean; rolloutPercentage?: number }) : {};

/**
 * The flag's rollout over time in one environment: its creation (disabled, 0%), every state change from the audit
 * trail (edits and applied schedules), then the pending schedules applied in order on top of the current state, with
 * the steps of a plan not saved yet (`planned`) among them.
 */
export function buildTimeline(
  events: AuditEvent[],
  pending: Schedule[],
  flag: FlagView,
  describeActor: (event: AuditEvent) => string,
  planned: readonly { scheduledAt: string; updates: ScheduleUpdates }[] = [],
): { past: TimelinePoint[]; future: TimelinePoint[] } {
  const past: TimelinePoint[] = [];
  const ordered = events
    .filter((event) => STATE_EVENTS.has(event.type))
    .sort((a, b) => new Date(a.occurredAt).getTime() - new Date(b.occurredAt).getTime() || Number(a.id) - Number(b.id));
  for (const event of ordered) {
    const at = new Date(event.occurredAt).getTime();
    if (event.type === 'flag.created') {
      past.push({ at, enabled: false, rollout: 0, kind: 'created', label: `Created by ${describeActor(event)}` });
      continue;
    }
    const after = asState(event.after);
    const previous = past.at(-1);
    const before = asState(event.before);
    if (!previous && (before.enabled !== undefined || before.rolloutPercentage !== undefined)) {
      // The trail was cut (a limit); start from the state this first change replaced.
      past.push({
        at,
        enabled: before.enabled ?? false,
        rollout: before.rolloutPercentage ?? 0,
        kind: 'change',
        label: 'Earlier state',
      });
    }
    const enabled = after.enabled ?? previous?.enabled ?? false;
    const rollout = after.rolloutPercentage ?? previous?.rollout ?? 0;
    if (previous && previous.enabled === enabled && previous.rollout === rollout) continue;
    past.push({
      at,
      enabled,
      rollout,
      kind: event.type === 'flag_schedule.applied' ? 'applied' : 'change',
      label:
        event.type === 'flag_schedule.applied'
          ? 'Schedule applied by the scheduler'
          : `Changed by ${describeActor(event)}`,
    });
  }
  if (past.length === 0) {
    past.push({
      at: new Date(flag.createdAt).getTime(),
      enabled: flag.enabled,
      rollout: flag.rolloutPercentage,
      kind: 'created',
      label: 'Created',
    });
  }
  const future: TimelinePoint[] = [];
  let state = { enabled: flag.enabled, rollout: flag.rolloutPercentage };
  const upcoming = [
    ...pending.map((schedule) => ({
      ...schedule,
      kind: 'scheduled' as const,
      label: `Scheduled${schedule.retryCount > 0 ? ` (retry ${schedule.retryCount}/${schedule.maxRetries})` : ''}`,
    })),
    ...planned.map((step, index) => ({
      ...step,
      kind: 'planned' as const,
      label: `Plan step ${index + 1} (not saved)`,
    })),
  ].sort((a, b) => new Date(a.scheduledAt).getTime() - new Date(b.scheduledAt).getTime());
  for (const change of upcoming) {
    state = {
      enabled: change.updates.enabled ?? state.enabled,
      rollout: change.updates.rolloutPercentage ?? state.rollout,
    };
    future.push({ at: new Date(change.scheduledAt).getTime(), ...state, kind: change.kind, label: change.label });
  }
  return { past, future };
}
