/**
 * Encryption of personal data (name, ID number, phone) under the worker's own data key.
 * The envelope is what events and read models store in place of the clear values.
 */
export interface SealedPersonalData {
  /** Format and algorithm: AES-256-GCM, 96-bit random IV, 128-bit tag. */
  readonly sealed: 'A256GCM.v1';
  /** Key id: the worker id. */
  readonly kid: string;
  /** The names of the sealed fields (not their values), so an erased event still says what it held. */
  readonly fields: readonly string[];
  /** base64url IV. */
  readonly iv: string;
  /** base64url ciphertext followed by the 16-byte tag. */
  readonly ct: string;
}

export type PersonalFields = Readonly<Record<string, string>>;

export interface SealedItem {
  readonly sealed: SealedPersonalData;
  /** What the envelope is bound to (authenticated, not encrypted): see `personalDataContext`. */
  readonly context: string;
  /**
   * Where its event sits in the log, when it was read from it. A rebuild's first thread takes the
   * envelopes its second thread opened, and this tells it whether that thread has read this far.
   */
  readonly position?: number;
}

export interface PersonalDataCipher {
  seal(kid: string, fields: PersonalFields, context: string): Promise<SealedPersonalData>;
  /**
   * Opens every item, in order: the clear fields, or null where the key was destroyed (erased).
   * Throws when an envelope fails authentication (tampered, or moved to another event) or its key
   * is missing from the key store: both mean something is badly wrong and must not pass silently.
   */
  open(items: readonly SealedItem[]): Promise<(PersonalFields | null)[]>;
  /** Crypto-shredding of one worker's personal data. */
  destroyKey(kid: string, at: string): Promise<void>;
  /**
   * Makes the data key of `kid` now, unless it has one, and resolves once it is durable: a seal for
   * `kid` afterwards does not wait for it. Lets a caller make the key while it does something else
   * that must come before the first seal. Meant for a `kid` that has no key yet (a worker being
   * registered): the next seal under `kid` may use the key made here without reading it back.
   */
  ensureKey?(kid: string): Promise<void>;
}

export const PERSONAL_DATA_CIPHER = Symbol('PersonalDataCipher');

/** An envelope is bound to the event that carries it: moving it to another event fails to open. */
export function personalDataContext(streamId: string, eventId: string): string {
  return `event:${streamId}:${eventId}`;
}

export function isSealedPersonalData(value: unknown): value is SealedPersonalData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.sealed === 'A256GCM.v1' &&
    typeof v.kid === 'string' &&
    Array.isArray(v.fields) &&
    typeof v.iv === 'string' &&
    typeof v.ct === 'string'
  );
}

/** Shown in place of a personal field whose key was destroyed. */
export const ERASED = '[erased]';

/**
 * What the encrypting event store attaches to an event whose `data.personal` it opened: the envelope
 * as stored (read models keep it instead of the clear values) and whether the key was gone.
 */
export interface OpenedPersonalData {
  readonly sealed: SealedPersonalData;
  readonly erased: boolean;
}

export interface WithOpenedPersonalData {
  readonly personalData?: OpenedPersonalData;
}
