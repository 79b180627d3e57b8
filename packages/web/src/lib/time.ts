import { useEffect, useState } from 'react';

/** The browser's IANA time zone, e.g. "Europe/Berlin". */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** "+01:00" for a date in the browser's zone (offsets change with daylight saving, so it depends on the date). */
export function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const localFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

export function formatLocal(iso: string | Date): string {
  return localFormat.format(typeof iso === 'string' ? new Date(iso) : iso);
}

/** "2026-03-14 09:32:05 UTC" */
export function formatUtc(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

export function formatRelative(iso: string | Date, now: number): string {
  const diff = (typeof iso === 'string' ? new Date(iso).getTime() : iso.getTime()) - now;
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size || unit === 'second') return relativeFormat.format(Math.round(diff / size), unit);
  }
  return '';
}

/** For instants in the past: a server clock a moment ahead of this page's `now` reads "just now", not "in 2 seconds". */
export function formatAgo(iso: string | Date, now: number): string {
  const at = typeof iso === 'string' ? new Date(iso).getTime() : iso.getTime();
  return at > now - 5000 ? 'just now' : formatRelative(new Date(at), now);
}

export type InputZone = 'local' | 'utc';

const pad = (value: number) => String(value).padStart(2, '0');

/** The value of an <input type="datetime-local"> (seconds precision) for a date, in the chosen zone. */
export function toDateTimeInput(date: Date, zone: InputZone): string {
  if (zone === 'utc') return date.toISOString().slice(0, 19);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}:${pad(date.getSeconds())}`;
}

/** Reads an <input type="datetime-local"> value as a wall-clock time in the chosen zone; undefined when incomplete. */
export function fromDateTimeInput(value: string, zone: InputZone): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date =
    zone === 'utc'
      ? new Date(Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s))
      : new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Re-renders every `intervalMs` so relative times ("in 3 s") stay true. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
