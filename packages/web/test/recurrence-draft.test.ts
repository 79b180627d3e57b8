import { describe, expect, it } from 'vitest';
import { newRecurrenceDraft, offsetChanges, recurrenceBody } from '../src/features/flags/recurrence/recurrence-draft';

describe('recurrence draft', () => {
  it('sends a cron as the API`s recurrence field, leaving out empty ends', () => {
    const draft = newRecurrenceDraft('cron', 'Europe/Berlin');
    expect(recurrenceBody(draft)).toEqual({ recurrence: { cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin' } });
    expect(recurrenceBody({ ...draft, count: '5' })).toEqual({
      recurrence: { cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin', count: 5 },
    });
  });

  it('sends a window with its days, and an until in the browser`s zone as an instant', () => {
    const draft = { ...newRecurrenceDraft('window', 'America/New_York'), until: '2031-07-01T09:30' };
    const body = recurrenceBody(draft);
    expect(body.window).toMatchObject({ on: '09:00', off: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] });
    expect(body.window?.until).toBe(new Date(2031, 6, 1, 9, 30).toISOString());
    // Half-typed, it goes as typed, for the server to name the field.
    expect(recurrenceBody({ ...draft, until: '2031-07' }).window?.until).toBe('2031-07');
  });

  it('finds the offset changes between consecutive occurrences', () => {
    const occurrences = [
      { utc: '2027-03-27T08:00:00.000Z', local: '2027-03-27T09:00:00+01:00' },
      { utc: '2027-03-28T07:00:00.000Z', local: '2027-03-28T09:00:00+02:00' },
      { utc: '2027-03-29T07:00:00.000Z', local: '2027-03-29T09:00:00+02:00' },
    ];
    expect(offsetChanges(occurrences)).toEqual([{ before: occurrences[0], after: occurrences[1] }]);
    expect(offsetChanges(occurrences.slice(1))).toEqual([]);
  });
});
