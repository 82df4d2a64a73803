import { invalidField } from '../errors';

/** Class hours (课时) count in whole or half hours, so sums are exact. */
export type ClassHours = number & { readonly __brand: 'ClassHours' };

/** The most class hours one session may carry (a full week of classes). */
export const MAX_SESSION_CLASS_HOURS = 40;

function isHalfHourMultiple(value: number): boolean {
  return Number.isInteger(value * 2);
}

/** A session's class hours: more than 0, at most 40, in steps of 0.5. */
export function parseClassHours(raw: unknown, field = 'classHours'): ClassHours {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw invalidField(field, 'must be a number');
  if (raw <= 0 || raw > MAX_SESSION_CLASS_HOURS) {
    throw invalidField(field, `must be more than 0 and at most ${MAX_SESSION_CLASS_HOURS}`);
  }
  if (!isHalfHourMultiple(raw)) throw invalidField(field, 'must be whole or half hours (e.g. 1.5)');
  return raw as ClassHours;
}

/** Hours of an online session a worker has done so far: 0 or more, in steps of 0.5. */
export function parseHoursDone(raw: unknown, field = 'hoursDone'): ClassHours {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw invalidField(field, 'must be a number');
  if (raw < 0) throw invalidField(field, 'must not be negative');
  if (!isHalfHourMultiple(raw)) throw invalidField(field, 'must be whole or half hours (e.g. 1.5)');
  return raw as ClassHours;
}

/** An exam score: a whole number from 0 to 100. */
export type ExamScore = number & { readonly __brand: 'ExamScore' };

export function parseExamScore(raw: unknown, field = 'score'): ExamScore {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 100) {
    throw invalidField(field, 'must be a whole number from 0 to 100');
  }
  return raw as ExamScore;
}
