import { resolve } from 'node:path';
import { loadSecurityConfig, SecurityConfigError, type SecurityConfig } from './security-config';
import { loadStorageConfig, StorageConfigError, type StorageConfig } from './storage-config';

export interface AppConfig extends SecurityConfig, StorageConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Public requests one client may make per minute; 0 turns the limit off. */
  readonly publicRateLimit: number;
  /** Public views kept in memory (PUBLIC_VIEW_CACHE_SIZE, default 50,000, ~1 KB each); 0 turns it off. */
  readonly publicViewCacheSize: number;
  readonly tokenIssuer: string;
  /** How long `?minPosition=` waits for projections before answering 503. */
  readonly consistencyWaitMs: number;
  /** The lowest exam score (0–100) that passes training; TRAINING_PASS_MARK, default 60. */
  readonly trainingPassMark: number;
  /**
   * How many nice levels below the request-serving threads the background threads run (the
   * projections thread and the WAL checkpointer; BACKGROUND_NICE, default 10, 0 to keep them equal).
   */
  readonly backgroundNice: number;
}

export class ConfigError extends Error {}

function security(env: NodeJS.ProcessEnv): SecurityConfig {
  try {
    return loadSecurityConfig(env);
  } catch (error) {
    throw error instanceof SecurityConfigError ? new ConfigError(error.message) : error;
  }
}

function storage(env: NodeJS.ProcessEnv): StorageConfig {
  try {
    return loadStorageConfig(env);
  } catch (error) {
    throw error instanceof StorageConfigError ? new ConfigError(error.message) : error;
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.DATA_DIR || './data'),
    publicRateLimit: integer(env, 'PUBLIC_RATE_LIMIT', 120, 0, 10_000_000),
    publicViewCacheSize: integer(env, 'PUBLIC_VIEW_CACHE_SIZE', 50_000, 0, 1_000_000),
    tokenIssuer: env.TOKEN_ISSUER || 'hsc-registry',
    consistencyWaitMs: integer(env, 'CONSISTENCY_WAIT_MS', 2000, 0, 60_000),
    trainingPassMark: integer(env, 'TRAINING_PASS_MARK', 60, 0, 100),
    backgroundNice: integer(env, 'BACKGROUND_NICE', 10, 0, 19),
    ...security(env),
    ...storage(env),
  };
}

export const APP_CONFIG = Symbol('AppConfig');
