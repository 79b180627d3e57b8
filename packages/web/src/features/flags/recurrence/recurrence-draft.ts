import type { Occurrence, RecurrencePreviewBody, Weekday } from '@flagline/core';
import { fromDateTimeInput } from '../../../lib/time';

/** The recurring forms the schedule form offers: a cron in a time zone, or a daily on/off window. */
export type RecurringForm = 'cron' | 'window';

/** What the recurrence editor holds, as typed: strings until sent, so a half-typed value is never lost. */
export interface RecurrenceDraft {
  form: RecurringForm;
  cron: string;
  on: string;
  off: string;
  days: Weekday[];
  timeZone: string;
  /** A datetime-local value in the browser's zone; empty for no end date. */
  until: string;
  /** Empty for no count. */
  count: string;
}

export const WEEKDAYS: { value: Weekday; label: string }[] = [
  { value: 'mon', label: 'Mon' },
  { value: 'tue', label: 'Tue' },
  { value: 'wed', label: 'Wed' },
  { value: 'thu', label: 'Thu' },
  { value: 'fri', label: 'Fri' },
  { value: 'sat', label: 'Sat' },
  { value: 'sun', label: 'Sun' },
];

export const newRecurrenceDraft = (form: RecurringForm, timeZone: string): RecurrenceDraft => ({
  form,
  cron: '0 9 * * 1-5',
  on: '09:00',
  off: '17:00',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  timeZone,
  until: '',
  count: '',
});

/**
 * The draft as the API's `recurrence` or `window` body field (the same for creating and for previewing). Values are
 * passed as typed: the server checks them and names the field at fault.
 */
export function recurrenceBody(draft: RecurrenceDraft): RecurrencePreviewBody {
  const until = draft.until.trim() === '' ? undefined : fromDateTimeInput(draft.until, 'local');
  const ends = {
    // An incomplete date is sent as typed so that the server names `until` rather than ignoring it.
    ...(draft.until.trim() === '' ? {} : { until: until ? until.toISOString() : draft.until }),
    ...(draft.count.trim() === '' ? {} : { count: Number(draft.count) }),
  };
  if (draft.form === 'cron') return { recurrence: { cron: draft.cron, timeZone: draft.timeZone, ...ends } };
  return { window: { on: draft.on, off: draft.off, days: draft.days, timeZone: draft.timeZone, ...ends } };
}

/** "+01:00" from an occurrence's local ISO time ("2026-03-28T09:00:00+01:00"). */
export const offsetOf = (occurrence: Occurrence): string => occurrence.local.slice(-6);

/** A UTC offset change between two consecutive occurrences: a daylight-saving change falls between them. */
export interface OffsetChange {
  before: Occurrence;
  after: Occurrence;
}

export function offsetChanges(occurrences: readonly Occurrence[]): OffsetChange[] {
  const changes: OffsetChange[] = [];
  occurrences.forEach((after, index) => {
    const before = occurrences[index - 1];
    if (before && offsetOf(before) !== offsetOf(after)) changes.push({ before, after });
  });
  return changes;
}
