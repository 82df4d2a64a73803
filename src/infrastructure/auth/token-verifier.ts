import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { isRole, type Actor } from '../../domain/actor';
import { VerifiedTokenCache, type VerifiedTokenCacheOptions } from './verified-token-cache';

/** Asymmetric algorithms only: a token can never be "signed" with a public key as an HMAC secret. */
export const TOKEN_ALGORITHMS = ['EdDSA', 'RS256'] as const;

/** A missing, malformed, forged, expired or otherwise unacceptable token: 401. */
export class InvalidTokenError extends Error {}

/** Checks a bearer token and answers the actor it speaks for. */
export interface TokenVerifier {
  verify(token: string): Promise<Actor>;
}

export const TOKEN_VERIFIER = Symbol('TokenVerifier');

/** The public keys served at /.well-known/jwks.json; null when an external provider issues tokens. */
export interface PublishedJwks {
  readonly keys: readonly JWK[] | null;
}

export const PUBLISHED_JWKS = Symbol('PublishedJwks');

/** The identity provider's keys could not be fetched: not the client's fault (503, not 401). */
export class TokenKeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the token signing keys could not be fetched: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'TokenKeysUnavailableError';
  }
}

export interface TokenVerifierOptions {
  readonly issuer: string;
  /** When set, tokens must name it in `aud` (recommended with a shared identity provider). */
  readonly audience?: string;
  readonly clockToleranceSeconds?: number;
  /** Verified tokens are remembered until they expire (at most a minute); `false` checks every time. */
  readonly cache?: VerifiedTokenCacheOptions | false;
}

export interface RemoteJwksOptions {
  /** Minimum time between two fetches (an unknown kid triggers one). Default 30 s. */
  readonly cooldownMs?: number;
  /** Keys are refetched after this long even when every kid is known. Default 10 min. */
  readonly cacheMaxAgeMs?: number;
  readonly timeoutMs?: number;
}

function actorOf(payload: Record<string, unknown>): Actor {
  const { sub, role, agencyId } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('invalid token: no subject');
  if (!isRole(role)) throw new InvalidTokenError('invalid token: unknown role');
  if (agencyId !== undefined && typeof agencyId !== 'string') {
    throw new InvalidTokenError('invalid token: bad agencyId');
  }
  if (role === 'agency_operator' && !agencyId) {
    throw new InvalidTokenError('invalid token: an operator needs agencyId');
  }
  return { id: sub, role, ...(agencyId ? { agencyId } : {}) };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWKSNoMatchingKey) {
    return 'no trusted key has its kid, so its signature cannot be verified';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof errors.JWTExpired) return 'expired ("exp" is in the past)';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  return (error as Error)?.message ?? String(error);
}

function isFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  if (error instanceof errors.JOSEError) return /JSON Web Key Set HTTP response/.test(error.message);
  // Network errors (ECONNREFUSED, ENOTFOUND…) come from node:http, not jose (duck-typed: they may be
  // of another realm's Error class).
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * Verifies against a key set: the header must name its key (`kid`) and an accepted algorithm; the
 * key with that kid checks the signature; issuer, expiry (required), not-before and, when configured,
 * audience are checked; then the claims must name a subject and a known role.
 */
export function tokenVerifier(keys: JWTVerifyGetKey, options: TokenVerifierOptions): TokenVerifier {
  const verified = options.cache === false ? null : new VerifiedTokenCache(options.cache);
  return {
    async verify(token: string): Promise<Actor> {
      const known = verified?.get(token);
      if (known) return known;
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new InvalidTokenError('invalid token: not a signed JWT');
      }
      if (typeof header.kid !== 'string' || header.kid === '') {
        throw new InvalidTokenError('invalid token: its header names no key (kid)');
      }
      if (!(TOKEN_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
        throw new InvalidTokenError(`invalid token: algorithm ${String(header.alg)} is not accepted`);
      }
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          ...(options.audience ? { audience: options.audience } : {}),
          algorithms: [...TOKEN_ALGORITHMS],
          requiredClaims: ['exp', 'sub'],
          clockTolerance: options.clockToleranceSeconds ?? 5,
        }));
      } catch (error) {
        if (isFetchFailure(error)) throw new TokenKeysUnavailableError(error);
        throw new InvalidTokenError(`invalid token: ${describe(error)}`);
      }
      const actor = actorOf(payload as Record<string, unknown>);
      verified?.remember(token, actor, payload.exp!);
      return actor;
    },
  };
}

/** The embedded default: the registry's own public keys (current and, during a rotation, previous). */
export function localTokenVerifier(publicJwks: readonly JWK[], options: TokenVerifierOptions): TokenVerifier {
  return tokenVerifier(createLocalJWKSet({ keys: [...publicJwks] }), options);
}

/** An external identity provider's JWKS (`AUTH_JWKS_URL`), fetched and cached; new kids refetch it. */
export function remoteTokenVerifier(
  url: URL,
  options: TokenVerifierOptions & RemoteJwksOptions,
): TokenVerifier {
  const keys = createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
  });
  return tokenVerifier(keys, options);
}
