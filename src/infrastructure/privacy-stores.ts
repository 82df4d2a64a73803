import { join } from 'node:path';
import type { AccessLog } from '../application/ports/access-log';
import type { EventStore } from '../application/ports/event-store';
import type { KeyStore } from '../application/ports/key-store';
import type { PersonalDataCipher } from '../application/ports/personal-data-cipher';
import type { AppConfig } from './config/config';
import { keyEncryptionKeyDir, type SecurityConfig } from './config/security-config';
import { EncryptingEventStore } from './crypto/encrypting-event-store';
import { loadKeyEncryptionKeys } from './crypto/key-encryption-keys';
import { AesGcmPersonalDataCipher } from './crypto/personal-data-cipher';
import { SqliteAccessLog } from './sqlite/sqlite-access-log';
import { SqliteKeyStore, type SqliteKeyStoreOptions } from './sqlite/sqlite-key-store';
import { openEventStore } from './storage';

/*
 * The privacy stores (data keys, access log) and the event store that seals and opens personal data:
 * where they live and how they are opened. Apart from the app's wiring (privacy.ts), so the threads
 * and tools that open them (the projections thread, a rebuild's threads) load neither Nest's modules
 * nor the command handlers: ~370 modules, ~0.1 s at each thread's start.
 */

/** The key store of the embedded default: `DATA_DIR/keys.db`, data keys wrapped by the KEKs. */
export function keyStoreFile(dataDir: string): string {
  return join(dataDir, 'keys.db');
}

export function accessLogFile(dataDir: string): string {
  return join(dataDir, 'access-log.db');
}

export function openKeyStore(
  config: SecurityConfig & { readonly dataDir: string },
  options: SqliteKeyStoreOptions = {},
): SqliteKeyStore {
  return SqliteKeyStore.open(
    keyStoreFile(config.dataDir),
    loadKeyEncryptionKeys(keyEncryptionKeyDir(config)),
    options,
  );
}

/** A tool's key store looks up many keys once each: read through a map of the whole file. */
const TOOL_KEY_FILE_MAP_BYTES = 1024 * 1024 * 1024;

type PrivacyStorage = Pick<AppConfig, 'dataDir' | 'readStore' | 'mongodbUrl' | 'keyEncryptionKeyDir'>;

/**
 * Where the data keys live follows READ_STORE: beside the read models on MongoDB (in their own
 * database, `hsc_keys`), else `DATA_DIR/keys.db`. Either way they are wrapped by the KEKs, which stay
 * in KEY_ENCRYPTION_KEY_DIR on the application hosts (every replica needs the same ones).
 */
export async function openConfiguredKeyStore(config: PrivacyStorage): Promise<KeyStore> {
  const keks = loadKeyEncryptionKeys(keyEncryptionKeyDir(config));
  if (config.readStore === 'mongodb' && config.mongodbUrl) {
    const { MongoKeyStore } = await import('./mongodb/mongo-key-store');
    return MongoKeyStore.connect(config.mongodbUrl, keks);
  }
  // New keys' durable commits go to a thread of their own, off the event loop of the service.
  return SqliteKeyStore.open(keyStoreFile(config.dataDir), keks, { createOnThread: true });
}

/** The access log follows READ_STORE too: MongoDB (`hsc_access_log`), else `DATA_DIR/access-log.db`. */
export async function openConfiguredAccessLog(config: PrivacyStorage): Promise<AccessLog> {
  if (config.readStore === 'mongodb' && config.mongodbUrl) {
    const { MongoAccessLog } = await import('./mongodb/mongo-access-log');
    return MongoAccessLog.connect(config.mongodbUrl);
  }
  return SqliteAccessLog.open(accessLogFile(config.dataDir));
}

/** Wraps any event store so personal data is sealed on append and opened on read. */
export function withPersonalDataEncryption(store: EventStore, cipher: PersonalDataCipher): EventStore {
  return new EncryptingEventStore(store, cipher);
}

/**
 * For tools that run outside the app (the rebuild's threads): DATA_DIR's event store reading personal
 * data through its own key store, closed together. `cipherOf` may put another cipher around the key
 * store's (a rebuild thread's relay), closed with the store too. `readKeysAhead`: for the thread that
 * opens every registration in the order of the log (SqliteKeyStoreOptions.readAhead).
 */
export function openEventStoreWithKeys(
  config: SecurityConfig & { readonly dataDir: string },
  cipherOf?: (cipher: PersonalDataCipher) => PersonalDataCipher & { close(): Promise<void> },
  options: { readonly readKeysAhead?: boolean } = {},
): EventStore {
  const keyStore = openKeyStore(config, {
    mapBytes: TOOL_KEY_FILE_MAP_BYTES,
    readAhead: options.readKeysAhead ?? false,
  });
  let cipher: (PersonalDataCipher & { close(): Promise<void> }) | undefined;
  try {
    const keyed = new AesGcmPersonalDataCipher(keyStore);
    cipher = cipherOf?.(keyed);
    return new EncryptingEventStore(
      openEventStore(config.dataDir),
      cipher ?? keyed,
      cipher ? [cipher, keyStore] : [keyStore],
    );
  } catch (error) {
    void cipher?.close();
    void keyStore.close();
    throw error;
  }
}
