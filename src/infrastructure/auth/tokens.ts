import { SignJWT } from 'jose';
import type { Actor, Role } from '../../domain/actor';
import type { TokenKeys } from './token-keys';
import { InvalidTokenError, localTokenVerifier } from './token-verifier';

export { InvalidTokenError };

export interface TokenRequest {
  readonly sub: string;
  readonly role: Role;
  readonly agencyId?: string;
  readonly expiresIn?: string;
  /** Sets `aud` (needed when the registry is configured with TOKEN_AUDIENCE). */
  readonly audience?: string;
}

export async function signToken(keys: TokenKeys, issuer: string, request: TokenRequest): Promise<string> {
  const claims: Record<string, unknown> = { role: request.role };
  if (request.agencyId) claims.agencyId = request.agencyId;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? '12h');
  if (request.audience) jwt.setAudience(request.audience);
  return jwt.sign(keys.privateKey);
}

/** Verifies a token against one key pair; the service itself uses a TokenVerifier (token-verifier.ts). */
export function verifyToken(keys: TokenKeys, issuer: string, token: string): Promise<Actor> {
  return localTokenVerifier([keys.publicJwk], { issuer }).verify(token);
}
