import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { newSigningJwk, signingKeyFile } from '../auth/token-keys';
import { loadConfig } from '../config/config';
import { keyEncryptionKeyDir } from '../config/security-config';
import {
  createKeyEncryptionKey,
  loadKeyEncryptionKeys,
  retireKeyEncryptionKey,
} from '../crypto/key-encryption-keys';
import { keyStoreFile } from '../privacy-stores';
import { SqliteKeyStore } from '../sqlite/sqlite-key-store';

/**
 * `npm run rotate-keys -- [--kek] [--token-signing-key] [--retire-previous-token-key]`, with the
 * service stopped (it reads its keys at start):
 *   --kek                        new key-encryption key; every data key is rewrapped under it in one
 *                                transaction, then the old KEK files are overwritten and deleted
 *   --token-signing-key          new token signing key; the old one is kept as "previous" and still
 *                                verifies tokens it signed, until retired
 *   --retire-previous-token-key  forget the previous signing key (after its tokens expired: 12 h)
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      kek: { type: 'boolean', default: false },
      'token-signing-key': { type: 'boolean', default: false },
      'retire-previous-token-key': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.kek && !values['token-signing-key'] && !values['retire-previous-token-key']) {
    throw new Error('say what to rotate: --kek, --token-signing-key or --retire-previous-token-key');
  }
  const config = loadConfig();
  if (values.kek) {
    const dir = keyEncryptionKeyDir(config);
    const fresh = createKeyEncryptionKey(dir);
    const store = SqliteKeyStore.open(keyStoreFile(config.dataDir), loadKeyEncryptionKeys(dir));
    try {
      const { rewrapped, unusedKekIds } = store.rewrapAll();
      for (const id of unusedKekIds) if (id !== fresh.id) retireKeyEncryptionKey(dir, id);
      console.log(
        `rewrapped ${rewrapped} data keys under ${fresh.id}; retired ${unusedKekIds.length} old KEKs`,
      );
    } finally {
      void store.close();
    }
  }
  if (values['token-signing-key']) {
    renameSync(signingKeyFile(config.dataDir), signingKeyFile(config.dataDir, 'previous'));
    writeFileSync(signingKeyFile(config.dataDir), newSigningJwk(), { mode: 0o600, flag: 'wx' });
    console.log('new token signing key in place; the previous one verifies until retired');
  }
  if (values['retire-previous-token-key']) {
    const previous = signingKeyFile(config.dataDir, 'previous');
    if (existsSync(previous)) rmSync(previous);
    console.log('the previous token signing key is retired');
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
