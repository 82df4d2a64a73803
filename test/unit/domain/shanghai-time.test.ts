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
