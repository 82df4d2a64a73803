/**
 * Calendar arithmetic in Shanghai time (China Standard Time, UTC+8, no daylight saving since 1991),
 * the time zone of the city's reports. Pure functions of ISO-8601 instants.
 */

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The Shanghai calendar date ('YYYY-MM-DD') of an instant. */
export function shanghaiDate(instant: string): string {
  return new Date(Date.parse(instant) + OFFSET_MS).toISOString().slice(0, 10);
}

/** An instant as Shanghai wall-clock time, 'YYYY-MM-DD HH:mm:ss', for people and spreadsheets. */
export function shanghaiDateTime(instant: string): string {
  return new Date(Date.parse(instant) + OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** The instant at which a Shanghai calendar date ('YYYY-MM-DD') begins, as an ISO string. */
export function startOfShanghaiDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) - OFFSET_MS).toISOString();
}

export interface IsoWeek {
  /** ISO 8601 week, e.g. '2026-W48' (weeks start on Monday; week 1 holds the year's first Thursday). */
  readonly week: string;
  /** The Monday the week starts on, as a Shanghai calendar date. */
  readonly startsOn: string;
}

/** The ISO week (Monday to Sunday, Shanghai time) an instant falls in. */
export function isoWeekOf(instant: string): IsoWeek {
  return isoWeekOfDate(shanghaiDate(instant));
}

/** The ISO week of a calendar date ('YYYY-MM-DD'). */
export function isoWeekOfDate(date: string): IsoWeek {
  const day = Date.parse(`${date}T00:00:00.000Z`);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = day - weekday * DAY_MS;
  const thursday = monday + 3 * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const firstThursdayWeekMonday = (() => {
    const jan4 = Date.UTC(year, 0, 4);
    return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  })();
  const number = Math.round((monday - firstThursdayWeekMonday) / (7 * DAY_MS)) + 1;
  return {
    week: `${year}-W${String(number).padStart(2, '0')}`,
    startsOn: new Date(monday).toISOString().slice(0, 10),
  };
}

/** The Monday one week after `startsOn` ('YYYY-MM-DD'). */
export function nextWeekStart(startsOn: string): string {
  return new Date(Date.parse(`${startsOn}T00:00:00.000Z`) + 7 * DAY_MS).toISOString().slice(0, 10);
}
