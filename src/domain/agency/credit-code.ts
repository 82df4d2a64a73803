import { invalidField } from '../errors';

/** An 18-character unified social credit code (统一社会信用代码, GB 32100-2015), upper-case. */
export type CreditCode = string & { readonly __brand: 'CreditCode' };

/** The code's 31 characters: digits and capitals without I, O, Z, S, V. */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** 3^i mod 31 for positions 1–17. */
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

function checkCharOf(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (sum % 31)) % 31];
}

const ONLY_ALPHABET = /^[0-9ABCDEFGHJKLMNPQRTUWXY]*$/;
/** Positions 3–8 hold the 6-digit administrative region code. */
const REGION_DIGITS = /^.{2}\d{6}/;

/**
 * Parses a unified social credit code: trims and upper-cases it, then checks the length, the alphabet,
 * the region digits (positions 3–8) and the check character.
 */
export function parseCreditCode(raw: unknown, field = 'creditCode'): CreditCode {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const code = raw.trim().toUpperCase();
  if (code === '') throw invalidField(field, 'is required');
  if (code.length !== 18) throw invalidField(field, `must be 18 characters (got ${code.length})`);
  if (!ONLY_ALPHABET.test(code)) {
    throw invalidField(field, 'may contain only digits and the letters A–Z except I, O, S, V and Z');
  }
  if (!REGION_DIGITS.test(code)) {
    throw invalidField(field, 'must have digits in positions 3–8 (the administrative region code)');
  }
  if (checkCharOf(code) !== code[17]) {
    throw invalidField(
      field,
      'has a check character that does not match the other 17 characters; the code is probably mistyped',
    );
  }
  return code as CreditCode;
}

/**
 * Builds a valid credit code from its first 17 characters, computing the check character (for test data).
 * Throws a plain Error on malformed input: that is a programming error, not bad input.
 */
export function composeCreditCode(first17: string): CreditCode {
  if (first17.length !== 17 || !ONLY_ALPHABET.test(first17) || !REGION_DIGITS.test(first17)) {
    throw new Error(
      `first17 must be 17 characters of '${ALPHABET}' with digits in positions 3–8, got '${first17}'`,
    );
  }
  return (first17 + checkCharOf(first17)) as CreditCode;
}
