import { isIP } from 'node:net';
import { join } from 'node:path';

/** Security settings, read with the rest of the configuration (docs/security.md lists them). */
export interface SecurityConfig {
  /**
   * AUTH_JWKS_URL: verify tokens with an external identity provider's JWKS instead of the embedded
   * key pair (`npm run token` tokens are then refused). https, or http on a loopback address.
   */
  readonly authJwksUrl?: string;
  /** TOKEN_AUDIENCE: when set, tokens must carry it in `aud`. */
  readonly tokenAudience?: string;
  /** CORS_ORIGINS: comma-separated exact origins that browsers may call the API from; none by default. */
  readonly corsOrigins?: readonly string[];
  /** KEY_ENCRYPTION_KEY_DIR: where the key-encryption keys live; default DATA_DIR/secrets/kek. */
  readonly keyEncryptionKeyDir?: string;
  /**
   * TRUST_PROXY: whose X-Forwarded-For to believe for the client address (rate limits): unset or
   * `false` trusts nobody; else a comma-separated list of addresses or CIDRs of the load balancers.
   */
  readonly trustProxy?: false | string;
}

class SecurityConfigError extends Error {}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function jwksUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SecurityConfigError(`AUTH_JWKS_URL must be a URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new SecurityConfigError('AUTH_JWKS_URL must use https (http only on a loopback address)');
  }
  return url.href;
}

function origins(raw: string): string[] {
  return raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        // reported below
      }
      if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
        throw new SecurityConfigError(
          `CORS_ORIGINS must list exact origins such as https://verify.example.cn (no path, no *), got "${origin}"`,
        );
      }
      return origin;
    });
}

function trustProxy(raw: string): false | string {
  if (raw === 'false') return false;
  if (raw === 'true') {
    throw new SecurityConfigError("TRUST_PROXY=true would believe any client; give the balancers' addresses");
  }
  // A hop count cannot tell a balancer from a client that reaches the service directly and sends
  // X-Forwarded-For itself (Fastify 5.12 trusts nobody then, silently): refused, with the fix.
  if (/^\d+$/.test(raw)) {
    throw new SecurityConfigError(
      `TRUST_PROXY=${raw} (a hop count) would believe any client that reaches the service directly; give the load balancers' addresses or CIDRs`,
    );
  }
  for (const part of raw.split(',').map((p) => p.trim())) {
    const [address, bits] = part.split('/');
    if (!isIP(address ?? '') || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new SecurityConfigError(`TRUST_PROXY must be false or addresses/CIDRs, got "${part}"`);
    }
  }
  return raw;
}

export function loadSecurityConfig(env: NodeJS.ProcessEnv): SecurityConfig {
  const config: {
    -readonly [K in keyof SecurityConfig]: SecurityConfig[K];
  } = {};
  if (env.AUTH_JWKS_URL) {
    config.authJwksUrl = jwksUrl(env.AUTH_JWKS_URL);
    if (!env.TOKEN_ISSUER) {
      throw new SecurityConfigError('AUTH_JWKS_URL needs TOKEN_ISSUER: the issuer its tokens carry');
    }
  }
  if (env.TOKEN_AUDIENCE) config.tokenAudience = env.TOKEN_AUDIENCE;
  if (env.CORS_ORIGINS) config.corsOrigins = origins(env.CORS_ORIGINS);
  if (env.KEY_ENCRYPTION_KEY_DIR) config.keyEncryptionKeyDir = env.KEY_ENCRYPTION_KEY_DIR;
  if (env.TRUST_PROXY) config.trustProxy = trustProxy(env.TRUST_PROXY);
  return config;
}

export function keyEncryptionKeyDir(config: SecurityConfig & { readonly dataDir: string }): string {
  return config.keyEncryptionKeyDir ?? join(config.dataDir, 'secrets', 'kek');
}

export { SecurityConfigError };
