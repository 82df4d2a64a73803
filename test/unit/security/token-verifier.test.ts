import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import {
  InvalidTokenError,
  remoteTokenVerifier,
  TokenKeysUnavailableError,
} from '../../../src/infrastructure/auth/token-verifier';

const ISSUER = 'https://idp.example/realms/hsc';

async function key(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey: privateKey as unknown as KeyLike,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256' },
  };
}

const token = (k: { kid: string; privateKey: KeyLike }) =>
  new SignJWT({ role: 'auditor' })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid })
    .setSubject('a-1')
    .setIssuer(ISSUER)
    .setExpirationTime('5m')
    .sign(k.privateKey);

describe('remote JWKS verification', () => {
  let server: Server;
  let published: JWK[] = [];
  let url: URL;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("follows the provider's key rotation: a new kid refetches the set", async () => {
    const first = await key('k1');
    const second = await key('k2');
    published = [first.jwk];
    const verifier = remoteTokenVerifier(url, { issuer: ISSUER, cooldownMs: 0 });
    expect(await verifier.verify(await token(first))).toEqual({ id: 'a-1', role: 'auditor' });
    await expect(verifier.verify(await token(second))).rejects.toBeInstanceOf(InvalidTokenError);
    published = [first.jwk, second.jwk];
    expect(await verifier.verify(await token(second))).toEqual({ id: 'a-1', role: 'auditor' });
    // Retired at the provider: its tokens stop verifying once the set is refetched.
    published = [second.jwk];
    const fresh = remoteTokenVerifier(url, { issuer: ISSUER, cooldownMs: 0 });
    await expect(fresh.verify(await token(first))).rejects.toThrow(/no trusted key has its kid/);
  });

  it('says the keys are unavailable (503), not that the token is bad, when the provider is down', async () => {
    const k = await key('k3');
    const down = remoteTokenVerifier(new URL('http://127.0.0.1:1/certs'), {
      issuer: ISSUER,
      timeoutMs: 1000,
    });
    await expect(down.verify(await token(k))).rejects.toBeInstanceOf(TokenKeysUnavailableError);
  });
});
