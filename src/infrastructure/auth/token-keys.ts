import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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

const SIGNING_KEY = 'token-signing-key.jwk';
/** Kept after a rotation so tokens signed before it stay valid until they expire. */
const PREVIOUS_SIGNING_KEY = 'token-signing-key.previous.jwk';

export function signingKeyFile(dataDir: string, which: 'current' | 'previous' = 'current'): string {
  return join(dataDir, 'secrets', which === 'current' ? SIGNING_KEY : PREVIOUS_SIGNING_KEY);
}

export function newSigningJwk(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return JSON.stringify(privateKey.export({ format: 'jwk' }));
}

async function keysOf(stored: string): Promise<TokenKeys> {
  const privateJwk = JSON.parse(stored) as JWK;
  const { d: _private, ...publicPart } = privateJwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as KeyLike;
  const publicKey = (await importJWK({ ...publicPart, alg: 'EdDSA' }, 'EdDSA')) as KeyLike;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/** The embedded default's Ed25519 signing key pair, kept in DATA_DIR and created on first use. */
export async function loadTokenKeys(dataDir: string): Promise<TokenKeys> {
  return keysOf(readOrCreateSecret(signingKeyFile(dataDir), newSigningJwk));
}

/**
 * The public keys the embedded default trusts and publishes at /.well-known/jwks.json: the current
 * signing key and, after `npm run rotate-keys -- --token-signing-key`, the previous one.
 */
export async function loadTrustedJwks(dataDir: string): Promise<JWK[]> {
  const current = await loadTokenKeys(dataDir);
  if (!existsSync(signingKeyFile(dataDir, 'previous'))) return [current.publicJwk];
  const previous = await keysOf(readFileSync(signingKeyFile(dataDir, 'previous'), 'utf8').trim());
  return previous.kid === current.kid ? [current.publicJwk] : [current.publicJwk, previous.publicJwk];
}
