import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyEncryptionKey, KeyEncryptionKeys } from './key-encryption-keys';
import { secureRandomBytes } from './random-pool';

const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(keyId: string, kekId: string): Buffer {
  return Buffer.from(`hsc:dek:v1:${keyId}:${kekId}`, 'utf8');
}

/** A fresh 256-bit data key. */
export function newDataKey(): Buffer {
  return secureRandomBytes(32);
}

/** AES-256-GCM under the KEK, bound to the key id and the KEK id: IV ‖ ciphertext ‖ tag. */
export function wrapDataKey(kek: KeyEncryptionKey, keyId: string, dek: Buffer): Buffer {
  const iv = secureRandomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(keyId, kek.id));
  return Buffer.concat([iv, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
}

export function unwrapDataKey(
  keks: KeyEncryptionKeys,
  keyId: string,
  kekId: string | null,
  wrapped: Buffer,
): Buffer {
  const kek = keks.byId.get(kekId ?? '');
  if (!kek) throw new Error(`data key ${keyId} is wrapped by ${kekId}, which is not in the KEK directory`);
  const decipher = createDecipheriv('aes-256-gcm', kek.key, wrapped.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad(keyId, kek.id));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new Error(`data key ${keyId} failed to unwrap with ${kek.id}: altered, or the wrong key`);
  }
}

export function checkKeyId(keyId: string): void {
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 200) {
    throw new Error(`invalid data key id ${JSON.stringify(keyId)}`);
  }
}
