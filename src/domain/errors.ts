/**
 * The one error type the domain speaks. The HTTP edge maps `kind` to a status:
 * invalid → 400, forbidden → 403, not_found → 404, conflict → 409.
 */
export type DomainErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** The request field the error is about, when there is one. */
    readonly field?: string,
    /** Extra facts a client can act on, e.g. the id of an existing worker. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** A refused field: the message always starts with the field's name. */
export function invalidField(field: string, problem: string): DomainError {
  return new DomainError('invalid', `${field} ${problem}`, field);
}

export function forbidden(message: string): DomainError {
  return new DomainError('forbidden', message);
}

export function notFound(message: string): DomainError {
  return new DomainError('not_found', message);
}

export function conflict(message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError('conflict', message, undefined, details);
}
