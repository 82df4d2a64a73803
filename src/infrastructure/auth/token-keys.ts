import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK, type KeyLike } from 'jose';
import { readOrCreateSecret } from '../crypto/secret-file';

export interface TokenKeys {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  /** The public key as published in the JWKS. */
  readonly publicJwk: JWK;
}

/** The embedded default's Ed25519 signing key pair, kept in DATA_DIR and created on first use. */
export async function loadTokenKeys(dataDir: string): Promise<TokenKeys> {
  const stored = readOrCreateSecret(join(dataDir, 'secrets', 'token-signing-key.jwk'), () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return JSON.stringify(privateKey.export({ format: 'jwk' }));
  });
  const privateJwk = JSON.parse(stored) as JWK;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as KeyLike;
  const publicKey = (await importJWK({ ...publicPart, alg: 'EdDSA' }, 'EdDSA')) as KeyLike;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}
