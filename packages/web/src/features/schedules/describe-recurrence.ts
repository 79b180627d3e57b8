import type { Schedule } from '@flagline/core';

/** How a schedule repeats, or which plan step it is, in a line: "Repeats 0 9 * * 1-5 in Europe/Berlin". */
export function describeSeries(schedule: Schedule): string | undefined {
  const recurrence = schedule.recurrence;
  if (recurrence) {
    const ends = [
      recurrence.count === undefined ? '' : `${recurrence.count} times`,
      recurrence.until === undefined ? '' : `until ${recurrence.until}`,
    ].filter(Boolean);
    const pattern =
      recurrence.kind === 'cron'
        ? `Repeats ${recurrence.cron}`
        : `Window ${recurrence.on}–${recurrence.off} on ${recurrence.days.join(', ')}`;
    return `${pattern} in ${recurrence.timeZone}${ends.length > 0 ? `, ${ends.join(', ')}` : ''}`;
  }
  return schedule.planStep === undefined ? undefined : `Step ${schedule.planStep + 1} of a rollout plan`;
}
