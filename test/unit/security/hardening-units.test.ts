import { refusePersonalNumbers } from '../../../src/domain/free-text';
import { loadSecurityConfig } from '../../../src/infrastructure/config/security-config';
import { jsonDepth } from '../../../src/infrastructure/http/json-body';
import { clientKey, RateLimiter } from '../../../src/infrastructure/http/public-rate-limit';

describe('RateLimiter (GCRA)', () => {
  const clock = () => {
    let now = 1_700_000_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('lets a client burst up to the limit, then one per window/limit; Retry-After is exact', () => {
    const time = clock();
    const limiter = new RateLimiter(3, 60_000, 1000, time.now);
    expect([1, 2, 3].map(() => limiter.hit('a').allowed)).toEqual([true, true, true]);
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    time.advance(19_000);
    expect(limiter.hit('a').allowed).toBe(false);
    time.advance(1_000);
    expect(limiter.hit('a').allowed).toBe(true);
    expect(limiter.hit('a').allowed).toBe(false);
    expect(limiter.hit('b').allowed).toBe(true);
  });

  it('holds a hammering client to the limit per window on average, and a burst of at most the limit', () => {
    const time = clock();
    const limiter = new RateLimiter(10, 60_000, 1000, time.now);
    const allowedAt: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (limiter.hit('hammer').allowed) allowedAt.push(time.now());
      time.advance(97);
    }
    const minutes = (20_000 * 97) / 60_000;
    // A burst of 10, then one every 6 s: 10 a minute sustained.
    expect(allowedAt.length).toBeLessThanOrEqual(Math.ceil(10 * minutes) + 10);
    expect(allowedAt.length).toBeGreaterThanOrEqual(Math.floor(10 * minutes));
    // Token-bucket bound: never more than 2 × limit − 1 in any rolling minute.
    for (let i = 0; i + 19 < allowedAt.length; i++)
      expect(allowedAt[i + 19]! - allowedAt[i]!).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps memory bounded: idle clients are dropped, a flood of newcomers shares one allowance', () => {
    const time = clock();
    const limiter = new RateLimiter(5, 60_000, 100, time.now);
    for (let i = 0; i < 100_000; i++) limiter.hit(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(101);
    time.advance(60_000);
    expect(limiter.hit('203.0.113.9').allowed).toBe(true);
    expect(limiter.size).toBeLessThanOrEqual(101);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped address as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2::1')).toBe(clientKey('2001:db8:1:2:ffff::9'));
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
  });
});

describe('security configuration', () => {
  it('reads CORS origins, audience, KEK directory and trusted proxies', () => {
    expect(
      loadSecurityConfig({
        CORS_ORIGINS: 'https://verify.example.cn, http://localhost:5173',
        TOKEN_AUDIENCE: 'hsc',
        KEY_ENCRYPTION_KEY_DIR: '/run/secrets/kek',
        TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      }),
    ).toEqual({
      corsOrigins: ['https://verify.example.cn', 'http://localhost:5173'],
      tokenAudience: 'hsc',
      keyEncryptionKeyDir: '/run/secrets/kek',
      trustProxy: '10.0.0.0/8,127.0.0.1',
    });
    expect(loadSecurityConfig({})).toEqual({});
  });

  it.each([
    [{ CORS_ORIGINS: '*' }, /exact origins/],
    [{ CORS_ORIGINS: 'https://a.example/path' }, /exact origins/],
    [{ AUTH_JWKS_URL: 'http://idp.example/jwks', TOKEN_ISSUER: 'x' }, /https/],
    [{ AUTH_JWKS_URL: 'https://idp.example/jwks' }, /needs TOKEN_ISSUER/],
    [{ TRUST_PROXY: 'true' }, /any client/],
    [{ TRUST_PROXY: '1' }, /hop count.*addresses or CIDRs/],
    [{ TRUST_PROXY: 'lb.internal' }, /addresses/],
  ])('refuses %j', (env, message) => {
    expect(() => loadSecurityConfig(env)).toThrow(message);
  });

  it('allows an http JWKS only on a loopback address', () => {
    expect(
      loadSecurityConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/certs', TOKEN_ISSUER: 'i' }).authJwksUrl,
    ).toBe('http://127.0.0.1:8080/certs');
  });
});

describe('JSON nesting depth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepth('{}')).toBe(1);
    expect(jsonDepth('{"a":[{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[\\"[[["}')).toBe(1);
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('['.repeat(100))).toBe(100);
  });
});

describe('free text carries no ID or phone numbers', () => {
  it.each(['31010419850315002X', '310104 1985 0315 002x', '139-1234-5678', '联系 １３９１２３４５６７８'])(
    'refuses %s',
    (text) => {
      expect(refusePersonalNumbers(`reason: ${text}`, 'reason')?.field).toBe('reason');
    },
  );

  it.each(['ticket 2026-0042', 'PSB-2026-7', 'left the agency on 2026-11-24', '12345678901234'])(
    'accepts %s',
    (text) => {
      expect(refusePersonalNumbers(text, 'reason')).toBeNull();
    },
  );
});
