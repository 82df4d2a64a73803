import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the system's generator at a time: enough for ~75 registrations (3 draws each). */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let used = 0;

/**
 * `n` bytes from the system's cryptographically secure generator, drawn a pool at a time (as
 * Node's own `randomUUID` does): each `crypto.randomBytes` call costs a `getpid` system call
 * (OpenSSL's fork check; ~5 µs here), and a registration makes three (its data key, the IV that
 * wraps it, the IV that seals its personal data). Every byte is handed out once, and zeroed in the
 * pool as it is, so the pool never holds what was already handed out. One pool per thread (each
 * thread loads its own modules).
 */
export function secureRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 4) return randomFillSync(Buffer.alloc(n));
  if (used + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    used = 0;
  }
  // A buffer of its own (not a slice of Node's shared pool), as a key deserves.
  const drawn = Buffer.alloc(n);
  pool.copy(drawn, 0, used, used + n);
  pool.fill(0, used, used + n);
  used += n;
  return drawn;
}
