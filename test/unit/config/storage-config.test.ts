import { ConfigError, loadConfig } from '../../../src/infrastructure/config/config';
import {
  kurrentdbUrlProblem,
  loadStorageConfig,
  mongodbUrlProblem,
  StorageConfigError,
} from '../../../src/infrastructure/config/storage-config';

function error(env: NodeJS.ProcessEnv): string {
  try {
    loadStorageConfig(env);
  } catch (caught) {
    expect(caught).toBeInstanceOf(StorageConfigError);
    return (caught as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('storage configuration', () => {
  it('defaults to the embedded stores with the projections in the process', () => {
    expect(loadStorageConfig({})).toEqual({
      eventStore: 'sqlite',
      readStore: 'sqlite',
      projections: 'embedded',
      projectionLeaseTtlMs: 15_000,
    });
  });

  it('takes the production backends with their connection strings', () => {
    expect(
      loadStorageConfig({
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: 'kurrentdb://kdb1:2113,kdb2:2113,kdb3:2113?tls=false',
        READ_STORE: 'mongodb',
        MONGODB_URL: 'mongodb://m1:27017,m2:27017,m3:27017/hsc_registry?replicaSet=rs0',
        PROJECTIONS: 'external',
        PROJECTION_LEASE_TTL_MS: '5000',
      }),
    ).toEqual({
      eventStore: 'kurrentdb',
      kurrentdbUrl: 'kurrentdb://kdb1:2113,kdb2:2113,kdb3:2113?tls=false',
      readStore: 'mongodb',
      mongodbUrl: 'mongodb://m1:27017,m2:27017,m3:27017/hsc_registry?replicaSet=rs0',
      projections: 'external',
      projectionLeaseTtlMs: 5000,
    });
  });

  it('names the variable and the allowed values when a choice is wrong', () => {
    expect(error({ EVENT_STORE: 'postgres' })).toBe(
      'EVENT_STORE must be one of sqlite, kurrentdb, got "postgres"',
    );
    expect(error({ READ_STORE: 'redis' })).toBe('READ_STORE must be one of sqlite, mongodb, got "redis"');
    expect(error({ PROJECTIONS: 'off' })).toBe('PROJECTIONS must be one of embedded, external, got "off"');
  });

  it('asks for the connection string a chosen backend needs', () => {
    expect(error({ EVENT_STORE: 'kurrentdb' })).toBe('EVENT_STORE=kurrentdb needs KURRENTDB_URL');
    expect(error({ READ_STORE: 'mongodb', MONGODB_URL: '  ' })).toBe('READ_STORE=mongodb needs MONGODB_URL');
  });

  it('says what a connection string should look like when it is malformed', () => {
    expect(error({ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'http://kdb1:2113' })).toMatch(
      /^KURRENTDB_URL must look like kurrentdb:\/\/host:2113/,
    );
    expect(error({ READ_STORE: 'mongodb', MONGODB_URL: 'mongodb://' })).toMatch(
      /^MONGODB_URL must look like mongodb:\/\/host:27017/,
    );
  });

  it('ignores the connection string of a backend that is not chosen', () => {
    expect(loadStorageConfig({ KURRENTDB_URL: 'not a url', MONGODB_URL: 'nor this' })).toMatchObject({
      eventStore: 'sqlite',
      readStore: 'sqlite',
    });
  });

  it('bounds the projection lease', () => {
    expect(error({ PROJECTION_LEASE_TTL_MS: '500' })).toBe(
      'PROJECTION_LEASE_TTL_MS must be a whole number from 1000 to 600000, got "500"',
    );
    expect(error({ PROJECTION_LEASE_TTL_MS: 'soon' })).toMatch(/^PROJECTION_LEASE_TTL_MS must be/);
  });

  it('reports storage mistakes at start as configuration errors', () => {
    expect(() => loadConfig({ EVENT_STORE: 'kurrentdb' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_STORE: 'kurrentdb' })).toThrow(
      'EVENT_STORE=kurrentdb needs KURRENTDB_URL',
    );
  });
});

describe('connection string checks', () => {
  it.each([
    'kurrentdb://localhost:2113?tls=false',
    'kurrentdb://admin:changeit@kdb1:2113,kdb2:2113,kdb3:2113?tls=true&tlsVerifyCert=false',
    'kurrentdb+discover://cluster.example.internal:2113',
    'esdb://127.0.0.1:2113?tls=false',
    'kdb://[::1]:2113',
  ])('accepts %s', (url) => {
    expect(kurrentdbUrlProblem(url)).toBeNull();
  });

  it.each(['', 'localhost:2113', 'https://kdb1:2113', 'kurrentdb://', 'kurrentdb://a b:2113'])(
    'refuses %j as a KurrentDB connection string',
    (url) => {
      expect(kurrentdbUrlProblem(url)).not.toBeNull();
    },
  );

  it.each([
    'mongodb://localhost:27017',
    'mongodb://m1:27017,m2:27017,m3:27017/hsc_registry?replicaSet=rs0',
    'mongodb://user:secret@m1:27017/db?authSource=admin',
    'mongodb+srv://cluster0.example.mongodb.net/registry',
  ])('accepts %s', (url) => {
    expect(mongodbUrlProblem(url)).toBeNull();
  });

  it.each(['', 'localhost:27017', 'postgres://db:5432/x', 'mongodb://'])(
    'refuses %j as a MongoDB connection string',
    (url) => {
      expect(mongodbUrlProblem(url)).not.toBeNull();
    },
  );
});
