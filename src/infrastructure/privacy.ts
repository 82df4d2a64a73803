import { Inject, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { ACCESS_LOG, type AccessLog } from '../application/ports/access-log';
import { KEY_STORE, type KeyStore } from '../application/ports/key-store';
import { PERSONAL_DATA_CIPHER } from '../application/ports/personal-data-cipher';
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
import { AesGcmPersonalDataCipher } from './crypto/personal-data-cipher';
import { openConfiguredAccessLog, openConfiguredKeyStore } from './privacy-stores';

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
