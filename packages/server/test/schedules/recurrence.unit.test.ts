import type { StoredRecurrence } from '@flagline/core';
import { describe, expect, it } from 'vitest';
import {
  firstOccurrence,
  latestDue,
  localIso,
  occurrencesFrom,
  pendingPoint,
  storeCron,
  storeWindow,
} from '../../src/schedules/recurrence';

/** The occurrences of a cron from an instant on, as the API lists them. */
function cronOccurrences(cron: string, timeZone: string, from: string, limit = 4, extra = {}) {
  const recurrence = storeCron({ cron, timeZone, ...extra });
  return occurrencesFrom(recurrence, firstOccurrence(recurrence, new Date(from)), limit);
}

describe('recurring occurrences across DST (croner on the tz database)', () => {
  it.each([
    // Europe/Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
    [
      'Europe/Berlin spring',
      'Europe/Berlin',
      '2026-03-27T12:00:00Z',
      [
        ['2026-03-28T08:00:00.000Z', '2026-03-28T09:00:00+01:00'],
        ['2026-03-29T07:00:00.000Z', '2026-03-29T09:00:00+02:00'],
        ['2026-03-30T07:00:00.000Z', '2026-03-30T09:00:00+02:00'],
      ],
    ],
    [
      'Europe/Berlin autumn',
      'Europe/Berlin',
      '2026-10-23T12:00:00Z',
      [
        ['2026-10-24T07:00:00.000Z', '2026-10-24T09:00:00+02:00'],
        ['2026-10-25T08:00:00.000Z', '2026-10-25T09:00:00+01:00'],
        ['2026-10-26T08:00:00.000Z', '2026-10-26T09:00:00+01:00'],
      ],
    ],
    // America/New_York springs forward on 2026-03-08 and falls back on 2026-11-01.
    [
      'America/New_York spring',
      'America/New_York',
      '2026-03-06T18:00:00Z',
      [
        ['2026-03-07T14:00:00.000Z', '2026-03-07T09:00:00-05:00'],
        ['2026-03-08T13:00:00.000Z', '2026-03-08T09:00:00-04:00'],
        ['2026-03-09T13:00:00.000Z', '2026-03-09T09:00:00-04:00'],
      ],
    ],
    [
      'America/New_York autumn',
      'America/New_York',
      '2026-10-30T18:00:00Z',
      [
        ['2026-10-31T13:00:00.000Z', '2026-10-31T09:00:00-04:00'],
        ['2026-11-01T14:00:00.000Z', '2026-11-01T09:00:00-05:00'],
        ['2026-11-02T14:00:00.000Z', '2026-11-02T09:00:00-05:00'],
      ],
    ],
  ])('09:00 local every day stays 09:00 local through the %s change', (_name, timeZone, from, expected) => {
    const occurrences = cronOccurrences('0 9 * * *', timeZone, from, 3);
    expect(occurrences.map(({ utc, local }) => [utc, local])).toEqual(expected);
  });

  it.each([
    ['Europe/Berlin', '2026-03-28T12:00:00Z', '2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00+02:00'],
    ['America/New_York', '2026-03-07T12:00:00Z', '2026-03-08T07:00:00.000Z', '2026-03-08T03:00:00-04:00'],
  ])(
    '02:30 on the spring-forward day in %s (a time that does not exist) occurs once, at 03:00, the first instant after the gap',
    (timeZone, from, utc, local) => {
      const [gap, nextDay] = cronOccurrences('30 2 * * *', timeZone, from, 2);
      expect(gap).toEqual({ utc, local });
      expect(nextDay?.local.slice(11, 19)).toBe('02:30:00');
    },
  );

  it('01:30 on the fall-back day (a time that exists twice) occurs once, at the first of the two', () => {
    const [first, second] = cronOccurrences('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2);
    expect(first).toEqual({ utc: '2026-11-01T05:30:00.000Z', local: '2026-11-01T01:30:00-04:00' });
    expect(second).toEqual({ utc: '2026-11-02T06:30:00.000Z', local: '2026-11-02T01:30:00-05:00' });
  });

  it('weekdays only: Friday, then Monday', () => {
    const occurrences = cronOccurrences('0 9 * * 1-5', 'Europe/Berlin', '2026-03-27T07:00:00Z', 2);
    expect(occurrences.map((o) => o.local)).toEqual(['2026-03-27T09:00:00+01:00', '2026-03-30T09:00:00+02:00']);
  });

  it('a window opens and closes at local times on its days, across the DST change, and closes overnight windows next day', () => {
    const recurrence = storeWindow(
      { on: '09:00', off: '17:00', days: ['fri', 'mon'], timeZone: 'Europe/Berlin' },
      { enabled: false },
    );
    const occurrences = occurrencesFrom(recurrence, firstOccurrence(recurrence, new Date('2026-03-26T12:00:00Z')), 4);
    expect(occurrences).toEqual([
      { utc: '2026-03-27T08:00:00.000Z', local: '2026-03-27T09:00:00+01:00', action: 'on' },
      { utc: '2026-03-27T16:00:00.000Z', local: '2026-03-27T17:00:00+01:00', action: 'off' },
      { utc: '2026-03-30T07:00:00.000Z', local: '2026-03-30T09:00:00+02:00', action: 'on' },
      { utc: '2026-03-30T15:00:00.000Z', local: '2026-03-30T17:00:00+02:00', action: 'off' },
    ]);
    const overnight = storeWindow({ on: '22:00', off: '06:00', days: ['sat'], timeZone: 'UTC' }, { enabled: false });
    expect(
      occurrencesFrom(overnight, firstOccurrence(overnight, new Date('2026-03-26T12:00:00Z')), 2).map((o) => o.utc),
    ).toEqual(['2026-03-28T22:00:00.000Z', '2026-03-29T06:00:00.000Z']);
  });

  it('local time carries the offset in force at that instant', () => {
    expect(localIso(new Date('2026-07-01T12:00:00Z'), 'UTC')).toBe('2026-07-01T12:00:00+00:00');
    expect(localIso(new Date('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2026-07-01T17:30:00+05:30');
  });
});

describe('ends and downtime', () => {
  const daily = (extra: Partial<StoredRecurrence> = {}) =>
    storeCron({ cron: '0 9 * * *', timeZone: 'UTC', ...extra } as { cron: string; timeZone: string });

  it('count ends the series after that many occurrences; a window counts windows, and its last one still closes', () => {
    const counted = daily({ count: 3 });
    expect(occurrencesFrom(counted, firstOccurrence(counted, new Date('2026-01-01T00:00:00Z')))).toHaveLength(3);
    const window = storeWindow({ on: '09:00', off: '10:00', timeZone: 'UTC', count: 2 }, { enabled: false });
    const windows = occurrencesFrom(window, firstOccurrence(window, new Date('2026-01-01T00:00:00Z')));
    expect(windows.map((o) => o.action)).toEqual(['on', 'off', 'on', 'off']);
  });

  it('until ends it: no occurrence after it, but a window opened before it closes', () => {
    const until = daily({ until: '2026-01-03T09:00:00Z' });
    const occurrences = occurrencesFrom(until, firstOccurrence(until, new Date('2026-01-01T00:00:00Z')));
    expect(occurrences.map((o) => o.utc)).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2026-01-02T09:00:00.000Z',
      '2026-01-03T09:00:00.000Z',
    ]);
    const window = storeWindow(
      { on: '09:00', off: '17:00', timeZone: 'UTC', until: '2026-01-01T12:00:00Z' },
      { enabled: false },
    );
    const windows = occurrencesFrom(window, firstOccurrence(window, new Date('2026-01-01T00:00:00Z')));
    expect(windows.map((o) => o.action)).toEqual(['on', 'off']);
    expect(firstOccurrence(daily({ until: '2026-01-01T08:00:00Z' }), new Date('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('after downtime only the latest missed occurrence applies; the ones before it are skipped and counted', () => {
    const recurrence = daily({ count: 10 });
    const pending = pendingPoint(recurrence, new Date('2026-01-01T09:00:00Z'), 0);
    const due = latestDue(recurrence, pending, new Date('2026-01-04T12:00:00Z'));
    expect(due.apply).toMatchObject({ at: new Date('2026-01-04T09:00:00Z'), index: 3 });
    expect(due.skipped).toBe(3);
    expect(due.next?.at).toEqual(new Date('2026-01-05T09:00:00Z'));
    // A window's latest missed occurrence is whichever of on/off came last.
    const window = storeWindow({ on: '09:00', off: '17:00', timeZone: 'UTC' }, { enabled: false });
    const missed = latestDue(
      window,
      pendingPoint(window, new Date('2026-01-01T09:00:00Z'), 0),
      new Date('2026-01-03T18:00:00Z'),
    );
    expect(missed.apply).toMatchObject({ at: new Date('2026-01-03T17:00:00Z'), action: 'off', index: 5 });
    // With the count used up by the missed ones, nothing follows: the schedule completes.
    expect(latestDue(daily({ count: 2 }), pending, new Date('2026-01-09T00:00:00Z')).next).toBeUndefined();
  });
});
