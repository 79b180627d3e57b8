/** Time-axis ticks that fall on round local times (an hour tick on the hour where the user is). */
const STEPS = [
  1000,
  5000,
  15_000,
  30_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  86_400_000,
  2 * 86_400_000,
  7 * 86_400_000,
  30 * 86_400_000,
  90 * 86_400_000,
  365 * 86_400_000,
];

export function ticks(from: number, to: number, maxTicks: number): { values: number[]; step: number } {
  const span = to - from;
  const step = STEPS.find((candidate) => span / candidate <= maxTicks) ?? STEPS.at(-1) ?? 86_400_000;
  // Align ticks to the step in local time (an hour tick falls on the hour where the user is).
  const offset = new Date(from).getTimezoneOffset() * 60_000;
  const first = Math.ceil((from - offset) / step) * step + offset;
  const values: number[] = [];
  for (let value = first; value <= to; value += step) values.push(value);
  return { values, step };
}

export function tickLabel(value: number, step: number): string {
  const date = new Date(value);
  if (step < 60_000)
    return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (step < 86_400_000) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}
