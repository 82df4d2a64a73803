import { invalidField } from '../errors';

/** A mainland China mobile number: exactly 11 digits, no country code. */
export type Phone = string & { readonly __brand: 'Phone' };

const MOBILE = /^1[3-9]\d{9}$/;

/** Drops a +86 / 0086 / 86 country code from a number whose spaces and hyphens are already removed. */
function withoutCountryCode(s: string): string {
  if (s.startsWith('+86')) return s.slice(3);
  if (s.startsWith('0086')) return s.slice(4);
  if (/^86\d{11}$/.test(s)) return s.slice(2);
  return s;
}

/**
 * Parses a mainland mobile number, ignoring spaces, hyphens and a +86 / 0086 / 86 prefix,
 * and returns its 11 digits.
 */
export function parsePhone(raw: unknown, field = 'phone'): Phone {
  if (raw === undefined || raw === null) throw invalidField(field, 'is required');
  if (typeof raw !== 'string') throw invalidField(field, `must be a string (got ${typeof raw})`);
  const compact = raw.replace(/[\s-]/g, '');
  if (compact === '') throw invalidField(field, 'is required');
  if (compact.startsWith('+') && !compact.startsWith('+86')) {
    throw invalidField(field, 'must be a mainland China mobile number (country code +86)');
  }
  const digits = withoutCountryCode(compact);
  if (!/^\d*$/.test(digits)) {
    throw invalidField(field, 'may contain only digits, spaces, hyphens and an optional +86 prefix');
  }
  if (digits.length !== 11) throw invalidField(field, `must have 11 digits (got ${digits.length})`);
  if (!MOBILE.test(digits)) {
    throw invalidField(field, 'must be a mainland mobile number starting with 13–19');
  }
  return digits as Phone;
}

/** '13812345678' → '138****5678'. */
export function maskPhone(p: Phone): string {
  return `${p.slice(0, 3)}****${p.slice(7)}`;
}
