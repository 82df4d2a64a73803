/**
 * The certificate's public code, printed on the card and encoded in its QR: 10 body characters and
 * 1 check character, all from a 31-character alphabet without the easily confused I, O, S, V and Z.
 *
 * Check character: a weighted sum modulo 31. Position i of the 11 characters (the check character last)
 * carries weight 3^(10-i) mod 31, and the check character makes Σ weight·index ≡ 0 (mod 31). Because 31
 * is prime and 3 generates all its non-zero residues, the 11 weights are non-zero and pairwise distinct,
 * so every single-character substitution and every transposition of two characters (adjacent or not) is
 * detected. (Luhn mod N was considered and rejected: for an odd alphabet size such as 31 its doubling
 * step is not a permutation, so about half the substitutions at doubled positions would go unnoticed.)
 */

import { invalidField } from '../errors';

/** A well-formed certificate code: 11 characters of CERTIFICATE_CODE_ALPHABET, check character valid. */
export type CertificateCode = string & { readonly __brand: 'CertificateCode' };

export const CERTIFICATE_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const N = CERTIFICATE_CODE_ALPHABET.length; // 31, a prime
const BODY_LENGTH = 10;
/** 3^(10-i) mod 31 for body positions i = 0..9; the check character's weight is 1. */
const BODY_WEIGHTS = [25, 29, 20, 17, 16, 26, 19, 27, 9, 3] as const;
const BODY = /^[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$/;
const ONLY_ALPHABET = /^[0-9ABCDEFGHJKLMNPQRTUWXY]*$/;

function weightedSum(body: string): number {
  let sum = 0;
  for (let i = 0; i < BODY_LENGTH; i++) sum += CERTIFICATE_CODE_ALPHABET.indexOf(body[i]) * BODY_WEIGHTS[i];
  return sum;
}

function checkCharOf(body: string): string {
  return CERTIFICATE_CODE_ALPHABET[(N - (weightedSum(body) % N)) % N];
}

/**
 * Appends the check character to a 10-character body. Throws a plain Error when the body is not exactly
 * 10 characters of the alphabet (upper-case): that is a programming error, not bad input.
 */
export function createCertificateCode(body10: string): CertificateCode {
  if (!BODY.test(body10)) {
    throw new Error(`certificate code body must be 10 characters of '${CERTIFICATE_CODE_ALPHABET}'`);
  }
  return (body10 + checkCharOf(body10)) as CertificateCode;
}

/**
 * Parses a code as typed by a person: trims, upper-cases and drops spaces and hyphens (so the printed
 * 'ABCDE-FGHJK-M' form is accepted), then checks the format and the check character.
 */
export function parseCertificateCode(raw: unknown, field = 'code'): CertificateCode {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const code = raw.replace(/[\s-]/g, '').toUpperCase();
  if (code === '') throw invalidField(field, 'is required');
  if (!ONLY_ALPHABET.test(code)) {
    throw invalidField(field, 'may contain only digits and the letters A–Z except I, O, S, V and Z');
  }
  if (code.length !== BODY_LENGTH + 1) {
    throw invalidField(field, `must be 11 characters (got ${code.length})`);
  }
  if (checkCharOf(code.slice(0, BODY_LENGTH)) !== code[BODY_LENGTH]) {
    throw invalidField(field, 'is mistyped: its check character does not match the other 10 characters');
  }
  return code as CertificateCode;
}

/** Groups the code for printing: 'ABCDEFGHJKM' → 'ABCDE-FGHJK-M'. */
export function formatCertificateCode(c: CertificateCode): string {
  return `${c.slice(0, 5)}-${c.slice(5, 10)}-${c.slice(10)}`;
}
