import { invalidField, type DomainError } from './errors';

/** Something shaped like a resident ID number or a mainland mobile number, allowing separators. */
const ID_NUMBER_LIKE = /(?<![0-9])[1-9](?:[\s-]?[0-9]){16}[\s-]?[0-9Xx](?![0-9])/u;
const MOBILE_LIKE = /(?<![0-9])1[3-9](?:[\s-]?[0-9]){9}(?![0-9])/u;

/**
 * Free-text fields (reasons, notes) are stored in clear and kept for ever, so they must not carry
 * the personal data that is otherwise encrypted: an ID number or a phone number is refused.
 */
export function refusePersonalNumbers(text: string, field: string): DomainError | null {
  const normalised = text.normalize('NFKC');
  if (ID_NUMBER_LIKE.test(normalised)) {
    return invalidField(field, 'must not contain an ID number: personal data belongs in the worker record');
  }
  if (MOBILE_LIKE.test(normalised)) {
    return invalidField(field, 'must not contain a phone number: personal data belongs in the worker record');
  }
  return null;
}
