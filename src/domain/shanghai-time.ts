/**
 * Calendar arithmetic in Shanghai time (China Standard Time, UTC+8, no daylight saving since 1991),
 * the time zone of the city's reports. Pure functions of ISO-8601 instants.
 */

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Answers of a pure function of a string, kept for the strings asked about most recently: the
 * projections date every event, and most events of a day fall in a few hours.
 */
class Remembered<T> {
  private readonly answers = new Map<string, T>();

  constructor(private readonly compute: (key: string) => T) {}

  get(key: string): T {
    let answer = this.answers.get(key);
    if (answer === undefined) {
      answer = this.compute(key);
      // Bounded by starting again: a few thousand hours or days cover any stretch of the log.
      if (this.answers.size >= 4096) this.answers.clear();
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/**
 * An instant as `toISOString` writes it (as the service stamps every event): its Shanghai date
 * depends only on its UTC date and hour. The hour, minutes and seconds are checked here (24:00 is
 * left to Date), so that an instant that Date refuses is refused here too: its date and hour are.
 */
const TO_ISO_STRING = /^\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

function dateOf(instant: string): string {
  return new Date(Date.parse(instant) + OFFSET_MS).toISOString().slice(0, 10);
}

/** By the instant's first 13 characters ('YYYY-MM-DDTHH'), which fix the date. */
const datesByHour = new Remembered((hour) => dateOf(`${hour}:00:00.000Z`));

/** The Shanghai calendar date ('YYYY-MM-DD') of an instant. */
export function shanghaiDate(instant: string): string {
  // Through Date objects ~0.65 µs, remembered by the hour ~0.1 µs (stats date each event).
  return TO_ISO_STRING.test(instant) ? datesByHour.get(instant.slice(0, 13)) : dateOf(instant);
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

const weeksByDate = new Remembered((date) => Object.freeze(weekOf(date)));

/** The ISO week of a calendar date ('YYYY-MM-DD'). */
export function isoWeekOfDate(date: string): IsoWeek {
  return weeksByDate.get(date);
}

function weekOf(date: string): IsoWeek {
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
