import { Inject, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { join } from 'node:path';
import { ACCESS_LOG, type AccessLog } from '../application/ports/access-log';
import type { EventStore } from '../application/ports/event-store';
import { KEY_STORE, type KeyStore } from '../application/ports/key-store';
import { PERSONAL_DATA_CIPHER, type PersonalDataCipher } from '../application/ports/personal-data-cipher';
import { EraseWorkerHandler } from '../application/worker/erase-worker';
import { PersonalDataReader } from '../application/worker/personal-data-reader';
import { GetWorkerAccessLogHandler, GetWorkerHandler } from '../application/worker/worker-queries';
import { loadTrustedJwks } from './auth/token-keys';
import {
  localTokenVerifier,
  PUBLISHED_JWKS,
  remoteTokenVerifier,
  TOKEN_VERIFIER,
  type PublishedJwks,
} from './auth/token-verifier';
import type { AppConfig } from './config/config';
import { keyEncryptionKeyDir, type SecurityConfig } from './config/security-config';
import { EncryptingEventStore } from './crypto/encrypting-event-store';
import { loadKeyEncryptionKeys } from './crypto/key-encryption-keys';
import { AesGcmPersonalDataCipher } from './crypto/personal-data-cipher';
import { SqliteAccessLog } from './sqlite/sqlite-access-log';
import { SqliteKeyStore, type SqliteKeyStoreOptions } from './sqlite/sqlite-key-store';
import { openEventStore } from './storage';

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
 * store's (a rebuild thread's relay), closed with the store too.
 */
export function openEventStoreWithKeys(
  config: SecurityConfig & { readonly dataDir: string },
  cipherOf?: (cipher: PersonalDataCipher) => PersonalDataCipher & { close(): Promise<void> },
): EventStore {
  const keyStore = openKeyStore(config, { mapBytes: TOOL_KEY_FILE_MAP_BYTES });
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

/** Closes the privacy stores after requests have drained (the event and read stores close in Lifecycle). */
class PrivacyStoresLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(KEY_STORE) private readonly keyStore: KeyStore,
    @Inject(ACCESS_LOG) private readonly accessLog: AccessLog,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.accessLog.close();
    await this.keyStore.close();
  }
}

/**
 * Everything the security and privacy work adds to the app: key store, personal-data cipher, access
 * log, token verifier, the personal-data reader and the erasure / worker-view handlers.
 */
export function privacyProviders(config: AppConfig): Provider[] {
  return [
    { provide: KEY_STORE, useFactory: () => openConfiguredKeyStore(config) },
    {
      provide: PERSONAL_DATA_CIPHER,
      useFactory: (keys: KeyStore) => new AesGcmPersonalDataCipher(keys),
      inject: [KEY_STORE],
    },
    { provide: ACCESS_LOG, useFactory: () => openConfiguredAccessLog(config) },
    {
      provide: PUBLISHED_JWKS,
      useFactory: async (): Promise<PublishedJwks> => ({
        keys: config.authJwksUrl ? null : await loadTrustedJwks(config.dataDir),
      }),
    },
    {
      provide: TOKEN_VERIFIER,
      useFactory: (published: PublishedJwks) => {
        const options = {
          issuer: config.tokenIssuer,
          ...(config.tokenAudience ? { audience: config.tokenAudience } : {}),
        };
        return config.authJwksUrl
          ? remoteTokenVerifier(new URL(config.authJwksUrl), options)
          : localTokenVerifier(published.keys ?? [], options);
      },
      inject: [PUBLISHED_JWKS],
    },
    PersonalDataReader,
    EraseWorkerHandler,
    GetWorkerHandler,
    GetWorkerAccessLogHandler,
    PrivacyStoresLifecycle,
  ];
}
