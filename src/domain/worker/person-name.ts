import { invalidField } from '../errors';

/** A person's name as written on their ID: trimmed, NFC, single spaces, 1–50 code points. */
export type PersonName = string & { readonly __brand: 'PersonName' };

const MAX_LENGTH = 50;
/** Look-alikes people type for the interpunct in transliterated names, e.g. 买买提·艾力. */
const MIDDLE_DOT_VARIANTS = /[•‧・･∙⋅]/gu;
const SEPARATORS = "·.-'’";
const ALLOWED = /^[\p{L}\p{M} ·.\-'’]+$/u;

/**
 * Parses a name: Chinese (including minority names with '·'), Latin and other alphabetic scripts are
 * accepted; digits, control or invisible characters and other symbols are not. Spaces are collapsed and
 * look-alike middle dots become '·'.
 */
export function parsePersonName(raw: unknown, field = 'name'): PersonName {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const trimmed = raw.trim();
  if (trimmed === '') throw invalidField(field, 'is required');
  if (/\p{C}/u.test(trimmed)) throw invalidField(field, 'must not contain control or invisible characters');
  const name = trimmed.normalize('NFC').replace(/\s+/gu, ' ').replace(MIDDLE_DOT_VARIANTS, '·');
  if (/\p{N}/u.test(name)) throw invalidField(field, 'must not contain digits');
  const length = Array.from(name).length;
  if (length > MAX_LENGTH) {
    throw invalidField(field, `must be at most ${MAX_LENGTH} characters (got ${length})`);
  }
  if (!ALLOWED.test(name)) {
    throw invalidField(field, "may contain only letters, spaces and the separators · . - '");
  }
  if (!/\p{L}/u.test(name)) throw invalidField(field, 'must contain at least one letter');
  return name as PersonName;
}

function isSeparator(c: string): boolean {
  return c === ' ' || SEPARATORS.includes(c);
}

/** Keeps the first letter of every word (words end at spaces and separators) and masks the rest. */
function maskWords(chars: readonly string[]): string[] {
  let wordStart = true;
  return chars.map((c) => {
    if (isSeparator(c)) {
      wordStart = true;
      return c;
    }
    const shown = wordStart;
    wordStart = false;
    return shown ? c : '*';
  });
}

/** Keeps the first letter, and the last when there are three or more; separators stay visible. */
function maskFirstAndLast(chars: readonly string[]): string[] {
  const letters = chars.flatMap((c, i) => (isSeparator(c) ? [] : [i]));
  const first = letters[0];
  const last = letters.length >= 3 ? letters[letters.length - 1] : first;
  return chars.map((c, i) => (isSeparator(c) || i === first || i === last ? c : '*'));
}

/**
 * Masks a name for display. Chinese-style names (no Latin letters, no spaces) keep their first and last
 * character: '张三丰' → '张*丰', '张三' → '张*', '欧阳娜娜' → '欧**娜', '买买提·艾力' → '买**·*力'.
 * Latin-style names keep each word's initial: 'John Smith' → 'J*** S****'. A name of one letter is
 * returned as it is; any longer name always has at least one letter masked.
 */
export function maskName(name: string): string {
  const chars = Array.from(name);
  const letterCount = chars.filter((c) => !isSeparator(c)).length;
  if (letterCount <= 1) return name;
  const latinStyle = /\p{Script=Latin}/u.test(name) || name.includes(' ');
  let masked = latinStyle ? maskWords(chars) : maskFirstAndLast(chars);
  if (!masked.includes('*')) {
    // Every word was a single letter ('J R'): show only the first.
    const first = chars.findIndex((c) => !isSeparator(c));
    masked = chars.map((c, i) => (isSeparator(c) || i === first ? c : '*'));
  }
  return masked.join('');
}
