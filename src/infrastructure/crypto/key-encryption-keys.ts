import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Key-encryption keys (KEKs) wrap the per-worker data keys in the key store, so a copy of the key
 * store alone reveals nothing. Each KEK is a file `<id>.key` (32 random bytes, base64) in one
 * directory, by default `DATA_DIR/secrets/kek`; in production point `KEY_ENCRYPTION_KEY_DIR` at a
 * secrets mount that is not backed up with the data. Ids sort by creation time: the newest wraps
 * new keys, older ones still unwrap keys not yet rewrapped (see `npm run rotate-keys`).
 */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface KeyEncryptionKeys {
  /** Wraps every new data key. */
  readonly current: KeyEncryptionKey;
  readonly byId: ReadonlyMap<string, KeyEncryptionKey>;
}

const FILE = /^(kek-\d{8}T\d{6}Z-[0-9a-f]{8})\.key$/;

function idFor(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `kek-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Writes a new KEK (owner-only), which becomes the current one. */
export function createKeyEncryptionKey(dir: string, now = new Date()): KeyEncryptionKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kek = { id: idFor(now), key: randomBytes(32) };
  writeFileSync(join(dir, `${kek.id}.key`), kek.key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return kek;
}

/** Loads every KEK of the directory, creating the first one on first use. */
export function loadKeyEncryptionKeys(dir: string): KeyEncryptionKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ids = readdirSync(dir)
    .map((name) => FILE.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
  if (ids.length === 0) {
    const first = createKeyEncryptionKey(dir);
    return { current: first, byId: new Map([[first.id, first]]) };
  }
  const byId = new Map<string, KeyEncryptionKey>();
  for (const id of ids) {
    const key = Buffer.from(readFileSync(join(dir, `${id}.key`), 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`key-encryption key ${id} is not 32 bytes`);
    byId.set(id, { id, key });
  }
  return { current: byId.get(ids[ids.length - 1]!)!, byId };
}

/** Deletes a KEK file once no data key is wrapped by it any more. */
export function retireKeyEncryptionKey(dir: string, id: string): void {
  if (!/^kek-[0-9TZa-f-]+$/.test(id)) throw new Error(`not a key-encryption key id: ${id}`);
  const file = join(dir, `${id}.key`);
  // Overwrite before unlinking: a best effort, as journaling file systems may keep old blocks.
  writeFileSync(file, randomBytes(64).toString('base64'));
  rmSync(file);
}
