import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT, type KeyLike } from 'jose';
import { InvalidTokenError, localTokenVerifier } from '../../../src/infrastructure/auth/token-verifier';
import { VerifiedTokenCache } from '../../../src/infrastructure/auth/verified-token-cache';

const ISSUER = 'https://registry.example';
const auditor = { id: 'a-1', role: 'auditor' as const };

describe('verified tokens are remembered until they expire', () => {
  it('answers a remembered actor until the token expires, then forgets it', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache({ now: () => now });
    cache.remember('t', auditor, (now + 30_000) / 1000);
    expect(cache.get('t')).toEqual(auditor);
    now += 29_999;
    expect(cache.get('t')).toEqual(auditor);
    now += 1;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('checks a long-lived token again after maxAgeMs, so a withdrawn key stops it within that time', () => {
    let now = 0;
    const cache = new VerifiedTokenCache({ now: () => now, maxAgeMs: 60_000 });
    cache.remember('t', auditor, 3600);
    now = 59_999;
    expect(cache.get('t')).toEqual(auditor);
    now = 60_000;
    expect(cache.get('t')).toBeUndefined();
  });

  it('never remembers a token already expired, and stays within maxEntries (oldest out first)', () => {
    const cache = new VerifiedTokenCache({ now: () => 10_000, maxEntries: 2 });
    cache.remember('expired', auditor, 5);
    expect(cache.get('expired')).toBeUndefined();
    cache.remember('a', auditor, 100);
    cache.remember('b', auditor, 100);
    cache.remember('c', auditor, 100);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual(auditor);
    expect(cache.get('c')).toEqual(auditor);
  });

  it('the verifier remembers only tokens that passed every check', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' };
    const sign = (exp: string | number) =>
      new SignJWT({ role: 'auditor' })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
        .setSubject('a-1')
        .setIssuer(ISSUER)
        .setExpirationTime(exp)
        .sign(privateKey as unknown as KeyLike);
    const verifier = localTokenVerifier([jwk], { issuer: ISSUER, clockToleranceSeconds: 0 });
    const good = await sign('5m');
    expect(await verifier.verify(good)).toEqual(auditor);
    expect(await verifier.verify(good)).toEqual(auditor);
    // One byte changed in the signature is another token, verified (and refused) on its own.
    const forged = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    const expired = await sign(Math.floor(Date.now() / 1000) - 60);
    await expect(verifier.verify(expired)).rejects.toThrow(/expired/);
  });
});
