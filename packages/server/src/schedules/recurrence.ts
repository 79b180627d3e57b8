import type {
  CronRecurrence,
  Occurrence,
  ScheduleUpdates,
  StoredRecurrence,
  Weekday,
  WindowRecurrence,
} from '@flagline/core';
import { Cron } from 'croner';
import { AppError } from '../shared/errors';

/**
 * The occurrences of a recurring schedule. Wall-clock times in a time zone become instants through croner (its
 * time-zone arithmetic rests on Intl's tz database); nothing here knows an offset. A local time that does not exist
 * (02:30 on a spring-forward day) occurs at the first instant after the gap, as croner resolves it (03:00 there); one
 * that exists twice (01:30 on a fall-back day) occurs once, at the first.
 */

/** One occurrence: its instant, its position in the series (0, 1, …) and, for a window, whether it opens or closes. */
export interface Point {
  at: Date;
  index: number;
  action: 'on' | 'off' | undefined;
}

const WEEKDAY_NUMBERS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } as const;
const ALL_DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function invalid(field: string, reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `Invalid body: ${field}: ${reason}.`, {
    location: 'body',
    fields: { [field]: reason },
  });
}

/** Parsed crons by pattern and zone: listing schedules computes ten occurrences of each, mostly of the same few. */
const parsed = new Map<string, Cron>();

function cronOf(pattern: string, timeZone: string): Cron {
  const key = `${timeZone} ${pattern}`;
  let cron = parsed.get(key);
  if (!cron) {
    cron = new Cron(pattern, { timezone: timeZone, paused: true });
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(key, cron);
  }
  return cron;
}

/** The daily crons of a window: opening on its days, closing on any day (the first close after an opening). */
function windowCrons(recurrence: { on: string; off: string; days: readonly string[]; timeZone: string }) {
  const [onHour, onMinute] = recurrence.on.split(':').map(Number);
  const [offHour, offMinute] = recurrence.off.split(':').map(Number);
  const days = recurrence.days.map((day) => WEEKDAY_NUMBERS[day as keyof typeof WEEKDAY_NUMBERS]).join(',');
  return {
    on: cronOf(`${onMinute} ${onHour} * * ${days}`, recurrence.timeZone),
    off: cronOf(`${offMinute} ${offHour} * * *`, recurrence.timeZone),
  };
}

/** The request's cron recurrence, stored; a cron croner refuses, or one that never occurs, is a 400 naming it. */
export function storeCron(recurrence: CronRecurrence): StoredRecurrence {
  let cron: Cron;
  try {
    cron = cronOf(recurrence.cron, recurrence.timeZone);
  } catch (error) {
    throw invalid('recurrence.cron', error instanceof Error ? error.message : 'not a cron expression');
  }
  if (!cron.nextRun()) throw invalid('recurrence.cron', 'never occurs');
  return { kind: 'cron', ...recurrence };
}

export function storeWindow(window: WindowRecurrence, offUpdates: ScheduleUpdates): StoredRecurrence {
  const days = window.days ? [...new Set(window.days)] : ALL_DAYS;
  return { kind: 'window', ...window, days, offUpdates };
}

const DAY_MS = 86_400_000;
const DEFAULT_WINDOW_OFF: ScheduleUpdates = { enabled: false };

/** The recurring forms of a schedule body (creation and preview take the same fields). */
export interface SeriesBody {
  recurrence?: CronRecurrence | undefined;
  window?: WindowRecurrence | undefined;
  offUpdates?: ScheduleUpdates | undefined;
}

/**
 * A body's cron or window, stored, with its first occurrence after `now`, which must come within the horizon; every
 * problem is a 400 naming the field. Creating a schedule and previewing one both start here.
 */
export function startSeries(
  body: SeriesBody,
  maxHorizonDays: number,
  now: Date,
): { recurrence: StoredRecurrence; first: Point } {
  const field = body.recurrence ? 'recurrence' : 'window';
  const recurrence = body.recurrence
    ? storeCron(body.recurrence)
    : storeWindow(body.window as WindowRecurrence, body.offUpdates ?? DEFAULT_WINDOW_OFF);
  const first = firstOccurrence(recurrence, now);
  if (!first) throw invalid(recurrence.until ? `${field}.until` : field, 'no occurrence is left before it ends');
  if (first.at.getTime() > now.getTime() + maxHorizonDays * DAY_MS) {
    throw invalid(field, `first occurs beyond ${maxHorizonDays} days ahead`);
  }
  return { recurrence, first };
}

/** The series' end: a count of occurrences (of windows, for a window) or an instant no occurrence may pass. */
function withinLimits(recurrence: StoredRecurrence, point: Point): boolean {
  const ordinal = recurrence.kind === 'window' ? Math.floor(point.index / 2) : point.index;
  if (recurrence.count !== undefined && ordinal >= recurrence.count) return false;
  // A window that opened closes, whatever `until` says: the flag is never left in the window's state.
  if (recurrence.until !== undefined && point.action !== 'off' && point.at > new Date(recurrence.until)) return false;
  return true;
}

/** The first occurrence after `after`; for a window its next opening. */
export function firstOccurrence(recurrence: StoredRecurrence, after: Date): Point | undefined {
  const cron = recurrence.kind === 'window' ? windowCrons(recurrence).on : cronOf(recurrence.cron, recurrence.timeZone);
  const at = cron.nextRun(after);
  const point: Point = { at: at ?? after, index: 0, action: recurrence.kind === 'window' ? 'on' : undefined };
  return at && withinLimits(recurrence, point) ? point : undefined;
}

/** The occurrence after `point`, or undefined when the series has ended. */
export function nextOccurrence(recurrence: StoredRecurrence, point: Point): Point | undefined {
  let at: Date | null;
  let action: Point['action'];
  if (recurrence.kind === 'window') {
    const crons = windowCrons(recurrence);
    action = point.action === 'on' ? 'off' : 'on';
    at = (action === 'on' ? crons.on : crons.off).nextRun(point.at);
  } else {
    at = cronOf(recurrence.cron, recurrence.timeZone).nextRun(point.at);
  }
  if (!at) return undefined;
  const next: Point = { at, index: point.index + 1, action };
  return withinLimits(recurrence, next) ? next : undefined;
}

/** The pending occurrence a schedule row stands for. */
export function pendingPoint(recurrence: StoredRecurrence, scheduledAt: Date, occurrenceCount: number): Point {
  const action = recurrence.kind === 'window' ? (occurrenceCount % 2 === 0 ? 'on' : 'off') : undefined;
  return { at: scheduledAt, index: occurrenceCount, action };
}

/**
 * What to apply when `pending` is due at `now`: after downtime, only the latest occurrence that is due (the earlier
 * ones are skipped, and counted as passed); then the next one, if the series goes on.
 */
export function latestDue(
  recurrence: StoredRecurrence,
  pending: Point,
  now: Date,
): { apply: Point; skipped: number; next: Point | undefined } {
  let apply = pending;
  let next = nextOccurrence(recurrence, apply);
  let skipped = 0;
  while (next && next.at <= now) {
    apply = next;
    skipped++;
    next = nextOccurrence(recurrence, apply);
  }
  return { apply, skipped, next };
}

/** An instant as ISO 8601 local time in the zone, with the zone's offset at that instant ("…T09:00:00+01:00"). */
export function localIso(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

export function toOccurrence(recurrence: StoredRecurrence, point: Point): Occurrence {
  const occurrence: Occurrence = { utc: point.at.toISOString(), local: localIso(point.at, recurrence.timeZone) };
  if (point.action) occurrence.action = point.action;
  return occurrence;
}

/** Up to `limit` occurrences from `start` on. */
export function occurrencesFrom(recurrence: StoredRecurrence, start: Point | undefined, limit = 10): Occurrence[] {
  const occurrences: Occurrence[] = [];
  for (let point = start; point && occurrences.length < limit; point = nextOccurrence(recurrence, point)) {
    occurrences.push(toOccurrence(recurrence, point));
  }
  return occurrences;
}

/** The changes an occurrence applies: a window's closing applies its offUpdates. */
export function updatesOf(recurrence: StoredRecurrence, updates: ScheduleUpdates, point: Point): ScheduleUpdates {
  return recurrence.kind === 'window' && point.action === 'off' ? recurrence.offUpdates : updates;
}
