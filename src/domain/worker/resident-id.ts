import { invalidField } from '../errors';

/** An 18-character PRC resident identity number (GB 11643-1999), check character upper-case. */
export type ResidentId = string & { readonly __brand: 'ResidentId' };

export interface ResidentIdOptions {
  /** The request field the value came from; 'idNumber' unless told. */
  readonly field?: string;
  /** Today's date as 'YYYY-MM-DD' (from the caller's clock); birth dates after it are refused. */
  readonly today?: string;
}

/** Province-level administrative codes (the first two digits). */
// prettier-ignore
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42',
  '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
]);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';

/** ISO 7064 MOD 11-2 check character for the first 17 digits. */
function checkCharOf(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= daysInMonth;
}

/** 'YYYYMMDD' → 'YYYY-MM-DD' when it is a real calendar date, else undefined. */
function isoDateOf(yyyymmdd: string): string | undefined {
  if (!/^\d{8}$/.test(yyyymmdd)) return undefined;
  const [y, m, d] = [yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6, 8)];
  return isRealDate(Number(y), Number(m), Number(d)) ? `${y}-${m}-${d}` : undefined;
}

/** What is wrong with an upper-cased, trimmed candidate, or undefined when it is a valid number. */
function problemWith(id: string, today: string | undefined): string | undefined {
  if (id.length !== 18) {
    return /^\d{15}$/.test(id)
      ? 'must be the 18-character resident ID number (15-digit first-generation numbers are not accepted)'
      : `must be 18 characters (got ${id.length})`;
  }
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 17 digits followed by a digit or X';
  if (!PROVINCE_CODES.has(id.slice(0, 2))) {
    return 'does not start with a real province code (first two digits)';
  }
  const birth = isoDateOf(id.slice(6, 14));
  if (birth === undefined) {
    return 'contains an impossible birth date (digits 7–14 must be a real date YYYYMMDD)';
  }
  if (birth < EARLIEST_BIRTH_DATE) return `contains a birth date before ${EARLIEST_BIRTH_DATE}`;
  if (today !== undefined && birth > today) return 'contains a birth date in the future';
  if (checkCharOf(id) !== id[17]) {
    return 'has a check character that does not match the other 17 digits; the number is probably mistyped';
  }
  return undefined;
}

function assertToday(today: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || isoDateOf(today.replace(/-/g, '')) === undefined) {
    throw new Error(`today must be a real date 'YYYY-MM-DD', got '${today}'`);
  }
}

/**
 * Parses an 18-character resident ID number: trims it, accepts a lower-case x check character
 * (stored upper-case), and verifies the province code, the birth date and the MOD 11-2 check character.
 */
export function parseResidentId(raw: unknown, options: ResidentIdOptions = {}): ResidentId {
  const field = options.field ?? 'idNumber';
  if (options.today !== undefined) assertToday(options.today);
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const id = raw.trim().toUpperCase();
  if (id === '') throw invalidField(field, 'is required');
  const problem = problemWith(id, options.today);
  if (problem !== undefined) throw invalidField(field, problem);
  return id as ResidentId;
}

/**
 * Builds a valid resident ID from its parts, computing the check character (for test data).
 * Throws a plain Error on malformed parts: that is a programming error, not bad input.
 */
export function composeResidentId(region6: string, birthYYYYMMDD: string, sequence3: string): ResidentId {
  if (!/^\d{6}$/.test(region6)) throw new Error(`region6 must be 6 digits, got '${region6}'`);
  if (!/^\d{8}$/.test(birthYYYYMMDD)) {
    throw new Error(`birthYYYYMMDD must be 8 digits, got '${birthYYYYMMDD}'`);
  }
  if (!/^\d{3}$/.test(sequence3)) throw new Error(`sequence3 must be 3 digits, got '${sequence3}'`);
  const first17 = region6 + birthYYYYMMDD + sequence3;
  const id = first17 + checkCharOf(first17);
  const problem = problemWith(id, undefined);
  if (problem !== undefined) throw new Error(`cannot compose a resident ID: it ${problem}`);
  return id as ResidentId;
}

/** The holder's birth date as 'YYYY-MM-DD'. */
export function birthDateOf(id: ResidentId): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}
