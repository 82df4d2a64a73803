import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import {
  loadTokenKeys,
  newSigningJwk,
  signingKeyFile,
  type TokenKeys,
} from '../../src/infrastructure/auth/token-keys';
import { removeDataDir, startRegistry, temporaryDataDir, type RunningRegistry } from '../support/registry';

const ISSUER = 'hsc-registry';
const now = () => Math.floor(Date.now() / 1000);

interface Forge {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  key?: KeyLike;
  alg?: string;
}

/** Signs a token exactly as told: every header and claim can be bent. */
async function sign(keys: TokenKeys, forge: Forge = {}): Promise<string> {
  const claims = {
    sub: 'regulator-1',
    role: 'regulator',
    iss: ISSUER,
    iat: now(),
    exp: now() + 600,
    ...forge.claims,
  };
  for (const [name, value] of Object.entries(claims))
    if (value === undefined) delete claims[name as keyof typeof claims];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: forge.alg ?? 'EdDSA', kid: keys.kid, typ: 'JWT', ...forge.header } as never)
    .sign(forge.key ?? keys.privateKey);
}

function unsigned(claims: Record<string, unknown>, header: Record<string, unknown>): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(claims)}.`;
}

describe('authentication: asymmetric JWTs, kid, issuer and expiry checked; everything else is 401', () => {
  let registry: RunningRegistry;
  let keys: TokenKeys;

  const call = (authorization?: string) =>
    registry.request('GET', '/api/v1/stats', { headers: authorization ? { authorization } : {} });
  const expect401 = async (authorization: string | undefined, message: string | RegExp) => {
    const answer = await call(authorization);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 401,
      body: {
        statusCode: 401,
        error: 'Unauthorized',
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      },
    });
  };

  beforeAll(async () => {
    registry = await startRegistry();
    keys = await loadTokenKeys(registry.dataDir);
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('accepts a well-formed token from the embedded key', async () => {
    expect((await call(`Bearer ${await sign(keys)}`)).status).toBe(200);
    expect((await call(`Bearer ${await registry.token('regulator')}`)).status).toBe(200);
  });

  it('refuses a missing or non-bearer Authorization header', async () => {
    await expect401(undefined, 'a bearer token is required');
    await expect401('Basic cmVndWxhdG9yOnB3', 'a bearer token is required');
    await expect401('bearer', 'a bearer token is required');
    await expect401('Bearer ', 'a bearer token is required');
    await expect401('Bearer not.a.token', /^invalid token: not a signed JWT$/);
  });

  it('refuses expired and not-yet-valid tokens, and tokens that never expire', async () => {
    await expect401(`Bearer ${await sign(keys, { claims: { exp: now() - 60 } })}`, /^invalid token: expired/);
    await expect401(`Bearer ${await sign(keys, { claims: { nbf: now() + 600 } })}`, /^invalid token: .*nbf/);
    await expect401(
      `Bearer ${await sign(keys, { claims: { exp: undefined } })}`,
      /^invalid token: missing required "exp" claim$/,
    );
  });

  it('refuses forged tokens: another key, tampered claims, no kid, an unknown kid', async () => {
    const stranger = generateKeyPairSync('ed25519').privateKey;
    // Another key claiming to be ours (our kid in the header).
    await expect401(
      `Bearer ${await sign(keys, { key: stranger as unknown as KeyLike })}`,
      /^invalid token: signature verification failed$/,
    );
    // Our signature over other claims: an operator promoted to regulator.
    const genuine = await sign(keys, { claims: { role: 'agency_operator', agencyId: 'a-1' } });
    const [head, , signature] = genuine.split('.');
    const promoted = base64url.encode(
      JSON.stringify({ sub: 'regulator-1', role: 'regulator', iss: ISSUER, iat: now(), exp: now() + 600 }),
    );
    await expect401(
      `Bearer ${head}.${promoted}.${signature}`,
      /^invalid token: signature verification failed$/,
    );
    // A genuine signature, but no kid, or a kid we do not know: the kid is checked, not guessed.
    await expect401(`Bearer ${await sign(keys, { header: { kid: undefined } })}`, /names no key \(kid\)/);
    await expect401(
      `Bearer ${await sign(keys, { header: { kid: 'some-other-key' } })}`,
      /^invalid token: no trusted key has its kid/,
    );
  });

  it('refuses algorithm tricks: none, and HS256 keyed with the public key', async () => {
    await expect401(
      `Bearer ${unsigned({ sub: 's', role: 'regulator', iss: ISSUER, exp: now() + 600 }, { alg: 'none', kid: keys.kid })}`,
      /^invalid token: algorithm none is not accepted$/,
    );
    const publicAsSecret = new TextEncoder().encode(JSON.stringify(keys.publicJwk));
    const confused = await new SignJWT({ sub: 's', role: 'regulator', iss: ISSUER, exp: now() + 600 })
      .setProtectedHeader({ alg: 'HS256', kid: keys.kid })
      .sign(publicAsSecret);
    await expect401(`Bearer ${confused}`, /^invalid token: algorithm HS256 is not accepted$/);
  });

  it('refuses the wrong issuer, and tokens without a subject or with an unknown role', async () => {
    await expect401(
      `Bearer ${await sign(keys, { claims: { iss: 'someone-else' } })}`,
      /^invalid token: .*"iss"/,
    );
    await expect401(`Bearer ${await sign(keys, { claims: { iss: undefined } })}`, /^invalid token: .*"iss"/);
    await expect401(`Bearer ${await sign(keys, { claims: { sub: undefined } })}`, /^invalid token: .*"sub"/);
    await expect401(
      `Bearer ${await sign(keys, { claims: { role: 'superuser' } })}`,
      'invalid token: unknown role',
    );
    // The anonymous citizen's role (the actor of a rating) is no role a token may hold.
    await expect401(
      `Bearer ${await sign(keys, { claims: { role: 'public' } })}`,
      'invalid token: unknown role',
    );
    await expect401(
      `Bearer ${await sign(keys, { claims: { role: 'agency_operator' } })}`,
      'invalid token: an operator needs agencyId',
    );
  });

  it('publishes its public keys as a JWKS, with the kid its tokens carry and no private part', async () => {
    const answer = await registry.request('GET', '/.well-known/jwks.json');
    expect(answer.status).toBe(200);
    expect(answer.body.keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: keys.kid, alg: 'EdDSA', use: 'sig' }),
    ]);
    expect(answer.body.keys[0]).not.toHaveProperty('d');
  });

  it('after a signing-key rotation, trusts the previous key until it is retired', async () => {
    const dataDir = temporaryDataDir();
    let rotated: RunningRegistry | undefined;
    try {
      const before = await startRegistry(dataDir);
      const oldKeys = await loadTokenKeys(dataDir);
      const oldToken = await sign(oldKeys);
      await before.close();
      // What `npm run rotate-keys -- --token-signing-key` does: current → previous, a new current.
      const { renameSync } = await import('node:fs');
      renameSync(signingKeyFile(dataDir), signingKeyFile(dataDir, 'previous'));
      writeFileSync(signingKeyFile(dataDir), newSigningJwk(), { mode: 0o600 });
      rotated = await startRegistry(dataDir);
      const newKeys = await loadTokenKeys(dataDir);
      expect(newKeys.kid).not.toBe(oldKeys.kid);
      const jwks = (await rotated.request('GET', '/.well-known/jwks.json')).body.keys.map((k: JWK) => k.kid);
      expect(jwks).toEqual([newKeys.kid, oldKeys.kid]);
      const stats = (token: string) => rotated!.request('GET', '/api/v1/stats', { token });
      expect((await stats(oldToken)).status).toBe(200);
      expect((await stats(await sign(newKeys))).status).toBe(200);
      await rotated.close();
      const { rmSync } = await import('node:fs');
      rmSync(signingKeyFile(dataDir, 'previous'));
      rotated = await startRegistry(dataDir);
      expect((await stats(oldToken)).status).toBe(401);
      expect((await stats(await sign(newKeys))).status).toBe(200);
    } finally {
      await rotated?.close();
      removeDataDir(dataDir);
    }
  });

  it('checks the audience when TOKEN_AUDIENCE is set', async () => {
    const dataDir = temporaryDataDir();
    const withAudience = await startRegistry(dataDir, { tokenAudience: 'hsc-registry-api' });
    try {
      const own = await loadTokenKeys(dataDir);
      const stats = async (token: string) =>
        (await withAudience.request('GET', '/api/v1/stats', { token })).status;
      expect(await stats(await sign(own))).toBe(401);
      expect(await stats(await sign(own, { claims: { aud: 'another-service' } }))).toBe(401);
      expect(await stats(await sign(own, { claims: { aud: 'hsc-registry-api' } }))).toBe(200);
    } finally {
      await withAudience.close();
      removeDataDir(dataDir);
    }
  });
});

describe('authentication with an external identity provider (AUTH_JWKS_URL)', () => {
  const IDP_ISSUER = 'https://idp.example.gov.cn/realms/hsc';
  let idp: Server;
  let idpKeys: { kid: string; privateKey: KeyLike; publicJwk: JWK }[];
  let jwksRequests = 0;
  let registry: RunningRegistry;

  async function rsaKey(kid: string) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      kid,
      privateKey: privateKey as unknown as KeyLike,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    };
  }

  const idpToken = (claims: Record<string, unknown> = {}, key = idpKeys[0]!) =>
    new SignJWT({ role: 'regulator', iss: IDP_ISSUER, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .setSubject('liu.regulator@scofcom')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  const stats = async (token: string) => (await registry.request('GET', '/api/v1/stats', { token })).status;

  beforeAll(async () => {
    idpKeys = [await rsaKey('idp-2026-01')];
    idp = createServer((request, response) => {
      jwksRequests += 1;
      if (request.url !== '/protocol/openid-connect/certs') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: idpKeys.map((key) => key.publicJwk) }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const { port } = idp.address() as AddressInfo;
    registry = await startRegistry(temporaryDataDir(), {
      authJwksUrl: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
      tokenIssuer: IDP_ISSUER,
    });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
    await new Promise((resolve) => idp.close(resolve));
  });

  it("accepts the provider's tokens, fetching its JWKS once and caching it", async () => {
    expect(await stats(await idpToken())).toBe(200);
    const fetched = jwksRequests;
    expect(fetched).toBeGreaterThanOrEqual(1);
    expect(await stats(await idpToken())).toBe(200);
    expect(jwksRequests).toBe(fetched);
  });

  it('refuses the embedded key, other issuers, unknown kids and expired tokens', async () => {
    // `npm run token` tokens are not trusted when an external provider issues them.
    const embedded = await registry.token('regulator');
    expect(await stats(embedded)).toBe(401);
    expect(await stats(await idpToken({ iss: 'https://evil.example' }))).toBe(401);
    const stranger = await rsaKey('not-published');
    expect(await stats(await idpToken({}, stranger))).toBe(401);
    const expired = await new SignJWT({ role: 'regulator' })
      .setProtectedHeader({ alg: 'RS256', kid: idpKeys[0]!.kid })
      .setSubject('x')
      .setIssuer(IDP_ISSUER)
      .setExpirationTime(now() - 60)
      .sign(idpKeys[0]!.privateKey);
    expect(await stats(expired)).toBe(401);
    const answer = await registry.request('GET', '/api/v1/stats', { token: embedded });
    expect(answer.body.message).toMatch(/^invalid token: no trusted key has its kid/);
  });

  it('publishes no JWKS of its own', async () => {
    expect((await registry.request('GET', '/.well-known/jwks.json')).status).toBe(404);
  });
});
