import type { CreatePlanBody, ScheduleUpdates } from '@flagline/core';
import { fromDateTimeInput, toDateTimeInput } from '../../../lib/time';

/** One step of a plan being built, as typed: a local date-time, and what it sets. */
export interface PlanStepDraft {
  /** A stable key for the row (steps are added and removed). */
  id: number;
  /** A datetime-local value in the browser's zone. */
  when: string;
  enabled: 'keep' | 'on' | 'off';
  /** Empty keeps the rollout. */
  rollout: string;
}

const HOUR_MS = 3_600_000;
let nextId = 1;

/**
 * The step a user most likely adds next: a day after the last one (the first an hour from now), 25 points further
 * along the rollout and turned on — the usual ramp — for them to adjust.
 */
export function nextStep(steps: readonly PlanStepDraft[], now: number): PlanStepDraft {
  const last = steps.at(-1);
  const lastAt = last ? fromDateTimeInput(last.when, 'local')?.getTime() : undefined;
  const at = lastAt === undefined ? now + HOUR_MS : lastAt + 24 * HOUR_MS;
  const lastRollout = last && last.rollout.trim() !== '' ? Number(last.rollout) : 0;
  return {
    id: nextId++,
    when: toDateTimeInput(new Date(at), 'local'),
    enabled: 'on',
    rollout: String(Math.min(100, (Number.isFinite(lastRollout) ? lastRollout : 0) + 25)),
  };
}

export function stepUpdates(step: PlanStepDraft): ScheduleUpdates {
  return {
    ...(step.enabled === 'keep' ? {} : { enabled: step.enabled === 'on' }),
    ...(step.rollout.trim() === '' ? {} : { rolloutPercentage: Number(step.rollout) }),
  };
}

/** The plan as the API's body; a time not yet complete goes as typed, for the server to name `steps.N.scheduledAt`. */
export function planBody(name: string, steps: readonly PlanStepDraft[]): CreatePlanBody {
  return {
    ...(name.trim() === '' ? {} : { name: name.trim() }),
    steps: steps.map((step) => ({
      scheduledAt: fromDateTimeInput(step.when, 'local')?.toISOString() ?? step.when,
      updates: stepUpdates(step),
    })),
  };
}

/** The steps that can be drawn (a complete time), for the timeline. */
export function drawableSteps(steps: readonly PlanStepDraft[]): { scheduledAt: string; updates: ScheduleUpdates }[] {
  return steps.flatMap((step) => {
    const at = fromDateTimeInput(step.when, 'local');
    return at ? [{ scheduledAt: at.toISOString(), updates: stepUpdates(step) }] : [];
  });
}
