import { secureRandomBytes } from '../../../src/infrastructure/crypto/random-pool';

describe('secureRandomBytes: random bytes drawn a pool at a time', () => {
  it('hands out the length asked for, never the same bytes twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      const drawn = secureRandomBytes(i % 2 === 0 ? 12 : 32);
      expect(drawn).toHaveLength(i % 2 === 0 ? 12 : 32);
      seen.add(drawn.toString('hex'));
    }
    // 66,000 bytes: sixteen pools. A repeat of 12 random bytes is a 2^-96 event; a repeat here means reuse.
    expect(seen.size).toBe(3_000);
  });

  it('gives each draw a buffer of its own, so zeroing one (as a used key is) spares the next', () => {
    const key = secureRandomBytes(32);
    const next = secureRandomBytes(32);
    expect(key.buffer).not.toBe(next.buffer);
    const before = Buffer.from(next);
    key.fill(0);
    expect(next.equals(before)).toBe(true);
    expect(next.equals(Buffer.alloc(32))).toBe(false);
  });

  it('draws a request larger than a quarter of the pool straight from the generator', () => {
    const big = secureRandomBytes(2_000);
    expect(big).toHaveLength(2_000);
    // Random bytes, not zeros: at most a handful of 2,000 are 0.
    expect(big.filter((byte) => byte === 0).length).toBeLessThan(40);
  });

  it('spreads its bytes like a uniform source (no byte value more than twice as common as it should be)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2_000; i++) for (const byte of secureRandomBytes(32)) counts[byte]! += 1;
    // 64,000 bytes: 250 of each value expected.
    expect(Math.max(...counts)).toBeLessThan(500);
    expect(Math.min(...counts)).toBeGreaterThan(125);
  });
});
