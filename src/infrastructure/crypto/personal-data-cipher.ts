import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyStore } from '../../application/ports/key-store';
import type {
  PersonalDataCipher,
  PersonalFields,
  SealedItem,
  SealedPersonalData,
} from '../../application/ports/personal-data-cipher';
import { secureRandomBytes } from './random-pool';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * How many keys made by `ensureKey` wait for their seal at most. A registration seals within
 * milliseconds of making its key; one that failed in between (its ID number taken) never does, and
 * its key is dropped once this many newer ones wait.
 */
export const MADE_KEYS_KEPT = 256;

export class PersonalDataIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonalDataIntegrityError';
  }
}

/**
 * The additional authenticated data: the format, the key id, the field names and the context
 * (stream and event id). Changing any of them, or moving the envelope elsewhere, fails the tag check.
 */
function aad(sealed: Pick<SealedPersonalData, 'sealed' | 'kid' | 'fields'>, context: string): Buffer {
  return Buffer.from(JSON.stringify([sealed.sealed, sealed.kid, sealed.fields, context]), 'utf8');
}

/**
 * AES-256-GCM under each worker's own data key from the key store. A fresh random IV per envelope:
 * a worker's key seals a handful of envelopes in its life, far from GCM's 2^32 random-IV bound.
 */
export class AesGcmPersonalDataCipher implements PersonalDataCipher {
  /**
   * Keys that `ensureKey` has just made (durably), each handed to the first seal under it: a
   * registration's seal then does not read the key store again for the key it made a moment ago.
   */
  private readonly made = new Map<string, Buffer>();

  constructor(private readonly keys: KeyStore) {}

  async seal(kid: string, fields: PersonalFields, context: string): Promise<SealedPersonalData> {
    const names = Object.keys(fields).sort();
    for (const name of names) {
      if (typeof fields[name] !== 'string') throw new TypeError(`personal field ${name} must be a string`);
    }
    const handed = this.made.get(kid);
    this.made.delete(kid);
    const key = handed ?? (await this.keys.getOrCreate(kid));
    const header = { sealed: 'A256GCM.v1' as const, kid, fields: names };
    const iv = secureRandomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(header, context));
    const plain = Buffer.from(JSON.stringify(Object.fromEntries(names.map((n) => [n, fields[n]]))), 'utf8');
    const ct = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    plain.fill(0);
    handed?.fill(0);
    // Not `{ ...header, iv, ct }`: fields added after a spread give each object a hidden class of its
    // own in V8 (docs/performance.md, item 67).
    return {
      sealed: header.sealed,
      kid,
      fields: names,
      iv: iv.toString('base64url'),
      ct: ct.toString('base64url'),
    };
  }

  async open(items: readonly SealedItem[]): Promise<(PersonalFields | null)[]> {
    if (items.length === 0) return [];
    const keys = await this.keys.lookup([...new Set(items.map((item) => item.sealed.kid))]);
    return items.map(({ sealed, context }) => {
      const found = keys.get(sealed.kid);
      if (!found || found.state === 'missing') {
        throw new PersonalDataIntegrityError(
          `the data key ${sealed.kid} is missing from the key store: is this the key store that belongs to these events?`,
        );
      }
      if (found.state === 'destroyed') return null;
      return decrypt(found.key, sealed, context);
    });
  }

  destroyKey(kid: string, at: string): Promise<void> {
    this.drop(kid);
    return this.keys.destroy(kid, at);
  }

  /** Only for a worker being registered: its key is expected not to exist yet (see createIfAbsent). */
  async ensureKey(kid: string): Promise<void> {
    const key = await this.keys.createIfAbsent(kid);
    this.drop(kid);
    this.made.set(kid, key);
    if (this.made.size > MADE_KEYS_KEPT) this.drop(this.made.keys().next().value!);
  }

  private drop(kid: string): void {
    this.made.get(kid)?.fill(0);
    this.made.delete(kid);
  }
}

function decrypt(key: Buffer, sealed: SealedPersonalData, context: string): PersonalFields {
  const iv = Buffer.from(sealed.iv, 'base64url');
  const body = Buffer.from(sealed.ct, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) {
    throw new PersonalDataIntegrityError(`a personal-data envelope of ${sealed.kid} is malformed`);
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(sealed, context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PersonalDataIntegrityError(
      `a personal-data envelope of ${sealed.kid} failed authentication (${context}): altered or moved`,
    );
  }
  const fields = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  plain.fill(0);
  const result: Record<string, string> = {};
  for (const name of sealed.fields) {
    if (typeof fields[name] !== 'string') {
      throw new PersonalDataIntegrityError(`a personal-data envelope of ${sealed.kid} lacks ${name}`);
    }
    result[name] = fields[name] as string;
  }
  return result;
}
