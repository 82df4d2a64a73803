import type { Actor } from '../../domain/actor';

export interface VerifiedTokenCacheOptions {
  /** Tokens remembered at once; the oldest is forgotten first. Default 10,000 (a few MB). */
  readonly maxEntries?: number;
  /**
   * A token is checked again after this long even if it has not expired, so that a key withdrawn
   * from the trusted set stops its tokens within this time. Default 60 s.
   */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly actor: Actor;
  readonly until: number;
}

/**
 * The actors of tokens whose signature was verified, until they expire (or `maxAgeMs` passes).
 * Verifying an EdDSA signature costs ~100 µs, a good part of a command's CPU; a client sends the
 * same token on every request. Keyed by the whole token: one changed byte is another entry, and
 * only tokens that passed every check are remembered (refusals are never cached).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get(token: string): Actor | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.now() < entry.until) return entry.actor;
    this.entries.delete(token);
    return undefined;
  }

  /** `expiresAtSeconds`: the token's `exp` claim. */
  remember(token: string, actor: Actor, expiresAtSeconds: number): void {
    const until = Math.min(expiresAtSeconds * 1000, this.now() + this.maxAgeMs);
    if (!(until > this.now())) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { actor, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
