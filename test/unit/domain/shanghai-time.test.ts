import {
  isoWeekOf,
  isoWeekOfDate,
  nextWeekStart,
  shanghaiDate,
  shanghaiDateTime,
  startOfShanghaiDay,
} from '../../../src/domain/shanghai-time';

describe('Shanghai time (UTC+8)', () => {
  it('dates an instant in Shanghai, where the day starts 8 hours before UTC’s', () => {
    expect(shanghaiDate('2026-11-23T15:59:59.999Z')).toBe('2026-11-23');
    expect(shanghaiDate('2026-11-23T16:00:00.000Z')).toBe('2026-11-24');
    expect(startOfShanghaiDay('2026-11-01')).toBe('2026-10-31T16:00:00.000Z');
    expect(shanghaiDateTime('2026-11-23T16:30:05.123Z')).toBe('2026-11-24 00:30:05');
  });

  it.each([
    ['2026-11-24', '2026-W48', '2026-11-23'],
    ['2026-11-29', '2026-W48', '2026-11-23'],
    ['2026-11-30', '2026-W49', '2026-11-30'],
    ['2026-01-01', '2026-W01', '2025-12-29'],
    ['2027-01-01', '2026-W53', '2026-12-28'],
    ['2021-01-03', '2020-W53', '2020-12-28'],
    ['2024-12-30', '2025-W01', '2024-12-30'],
  ])('puts %s in ISO week %s starting on %s', (date, week, startsOn) => {
    expect(isoWeekOfDate(date)).toEqual({ week, startsOn });
  });

  it('weeks an instant by its Shanghai date: Sunday 16:00 UTC is already Monday in Shanghai', () => {
    expect(isoWeekOf('2026-11-29T15:59:00.000Z').week).toBe('2026-W48');
    expect(isoWeekOf('2026-11-29T16:00:00.000Z').week).toBe('2026-W49');
  });

  it('steps to the next Monday across a year end', () => {
    expect(nextWeekStart('2026-12-28')).toBe('2027-01-04');
    expect(isoWeekOfDate(nextWeekStart('2026-12-28')).week).toBe('2027-W01');
  });
});

describe('Shanghai dates remembered by the hour', () => {
  /** The arithmetic without any memory, as the function was first written. */
  const throughDate = (instant: string) =>
    new Date(Date.parse(instant) + 8 * 3_600_000).toISOString().slice(0, 10);

  it('answers as Date does for every minute of two days around a month and a year end', () => {
    for (const start of ['2026-11-30T00:00:00.000Z', '2026-12-31T00:00:00.000Z']) {
      for (let minute = 0; minute < 2 * 24 * 60; minute += 7) {
        const instant = new Date(Date.parse(start) + minute * 60_000 + (minute % 1000)).toISOString();
        // Twice: the first computes, the second is remembered.
        expect(shanghaiDate(instant)).toBe(throughDate(instant));
        expect(shanghaiDate(instant)).toBe(throughDate(instant));
      }
    }
  });

  it('answers instants in other forms (offsets, no milliseconds, 24:00) as Date does', () => {
    for (const instant of [
      '2026-11-23T23:30:00+08:00',
      '2026-11-23T16:00:00Z',
      '2026-11-23T15:59:59.999+00:00',
      '2026-11-23T24:00:00.000Z',
    ]) {
      expect(shanghaiDate(instant)).toBe(throughDate(instant));
    }
  });

  it('still refuses an instant that is no time, even after its hour was remembered', () => {
    expect(shanghaiDate('2026-11-23T15:00:00.000Z')).toBe('2026-11-23');
    for (const bad of [
      '2026-11-23T15:60:00.000Z',
      '2026-11-23T15:00:61.000Z',
      '2026-13-01T15:00:00.000Z',
      'soon',
    ]) {
      expect(() => shanghaiDate(bad)).toThrow(RangeError);
    }
  });

  it('hands out the same week each time, frozen so that no caller can change it for the others', () => {
    const week = isoWeekOfDate('2026-11-24');
    expect(isoWeekOfDate('2026-11-24')).toBe(week);
    expect(Object.isFrozen(week)).toBe(true);
  });
});
