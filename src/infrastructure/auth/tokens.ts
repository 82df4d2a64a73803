import { SignJWT, jwtVerify } from 'jose';
import { isRole, type Actor, type Role } from '../../domain/actor';
import type { TokenKeys } from './token-keys';

export interface TokenRequest {
  readonly sub: string;
  readonly role: Role;
  readonly agencyId?: string;
  readonly expiresIn?: string;
}

export async function signToken(keys: TokenKeys, issuer: string, request: TokenRequest): Promise<string> {
  const claims: Record<string, unknown> = { role: request.role };
  if (request.agencyId) claims.agencyId = request.agencyId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? '12h')
    .sign(keys.privateKey);
}

export class InvalidTokenError extends Error {}

/** Verifies signature, algorithm, issuer and expiry; returns the actor the token speaks for. */
export async function verifyToken(keys: TokenKeys, issuer: string, token: string): Promise<Actor> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys.publicKey, { issuer, algorithms: ['EdDSA'] }));
  } catch (error) {
    throw new InvalidTokenError(`invalid token: ${(error as Error).message}`);
  }
  const { sub, role, agencyId } = payload as { sub?: unknown; role?: unknown; agencyId?: unknown };
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('invalid token: no subject');
  if (!isRole(role)) throw new InvalidTokenError('invalid token: unknown role');
  if (agencyId !== undefined && typeof agencyId !== 'string')
    throw new InvalidTokenError('invalid token: bad agencyId');
  if (role === 'agency_operator' && !agencyId)
    throw new InvalidTokenError('invalid token: an operator needs agencyId');
  return { id: sub, role, ...(agencyId ? { agencyId } : {}) };
}
