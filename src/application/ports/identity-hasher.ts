/**
 * Keyed one-way hash of a resident ID number, used to reserve "one ID number, one worker"
 * without the number itself appearing in a stream name. Keyed (HMAC), never a plain hash:
 * 18-digit IDs are too few to resist a dictionary attack on an unkeyed hash.
 */
export interface IdentityHasher {
  hash(idNumber: string): string;
}

export const IDENTITY_HASHER = Symbol('IdentityHasher');
