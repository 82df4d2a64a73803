/** Where events and read models live, and where the projections run (docs/production.md). */
export interface StorageConfig {
  /** EVENT_STORE: `sqlite` (embedded, default) or `kurrentdb`. */
  readonly eventStore: 'sqlite' | 'kurrentdb';
  /** READ_STORE: `sqlite` (embedded, default) or `mongodb`. */
  readonly readStore: 'sqlite' | 'mongodb';
  /** KURRENTDB_URL, required with EVENT_STORE=kurrentdb. */
  readonly kurrentdbUrl?: string;
  /** MONGODB_URL, required with READ_STORE=mongodb. */
  readonly mongodbUrl?: string;
  /**
   * PROJECTIONS: `embedded` (default) runs the projection runner in this process; `external` leaves
   * it to `npm run projections` processes and only follows their checkpoint. Either way, of all the
   * runners on one read store only the holder of its lease applies events.
   */
  readonly projections: 'embedded' | 'external';
  /** PROJECTION_LEASE_TTL_MS: how long a dead runner's lease blocks the others (default 15 s). */
  readonly projectionLeaseTtlMs: number;
}

export class StorageConfigError extends Error {}

function choice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new StorageConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

const KURRENTDB_URL = /^(?:kurrentdb|kurrent|kdb|esdb)(?:\+discover)?:\/\/(?:[^@/?]+@)?([^/?]+)\/?(?:\?.*)?$/;
const MONGODB_URL = /^mongodb(?:\+srv)?:\/\/(?:[^@/?]+@)?([^/?]+)(?:\/[^?]*)?(?:\?.*)?$/;
const HOST_AND_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function hostsValid(hosts: string): boolean {
  return hosts.split(',').every((host) => HOST_AND_PORT.test(host.trim()));
}

/** Null when the connection string looks right, else what is wrong with it (without its password). */
export function kurrentdbUrlProblem(url: string): string | null {
  const match = KURRENTDB_URL.exec(url.trim());
  if (!match || !hostsValid(match[1]!)) {
    return 'must look like kurrentdb://host:2113[,host2:2113,…][?tls=false] (kurrentdb+discover:// for DNS discovery)';
  }
  return null;
}

export function mongodbUrlProblem(url: string): string | null {
  const match = MONGODB_URL.exec(url.trim());
  if (!match || !hostsValid(match[1]!)) {
    return 'must look like mongodb://host:27017[,host2:27017,…]/database?replicaSet=rs0 (or mongodb+srv://…)';
  }
  return null;
}

function url(
  env: NodeJS.ProcessEnv,
  name: string,
  needed: boolean,
  backend: string,
  problem: (value: string) => string | null,
): string | undefined {
  const raw = env[name];
  if (!needed) return undefined;
  if (raw === undefined || raw.trim() === '') {
    throw new StorageConfigError(`${backend} needs ${name}`);
  }
  const wrong = problem(raw);
  if (wrong !== null) throw new StorageConfigError(`${name} ${wrong}`);
  return raw.trim();
}

export function loadStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const eventStore = choice(env, 'EVENT_STORE', ['sqlite', 'kurrentdb'], 'sqlite');
  const readStore = choice(env, 'READ_STORE', ['sqlite', 'mongodb'], 'sqlite');
  const kurrentdbUrl = url(
    env,
    'KURRENTDB_URL',
    eventStore === 'kurrentdb',
    'EVENT_STORE=kurrentdb',
    kurrentdbUrlProblem,
  );
  const mongodbUrl = url(
    env,
    'MONGODB_URL',
    readStore === 'mongodb',
    'READ_STORE=mongodb',
    mongodbUrlProblem,
  );
  const projections = choice(env, 'PROJECTIONS', ['embedded', 'external'], 'embedded');
  const rawTtl = env.PROJECTION_LEASE_TTL_MS;
  let projectionLeaseTtlMs = 15_000;
  if (rawTtl !== undefined && rawTtl !== '') {
    projectionLeaseTtlMs = Number(rawTtl);
    if (
      !Number.isInteger(projectionLeaseTtlMs) ||
      projectionLeaseTtlMs < 1_000 ||
      projectionLeaseTtlMs > 600_000
    ) {
      throw new StorageConfigError(
        `PROJECTION_LEASE_TTL_MS must be a whole number from 1000 to 600000, got "${rawTtl}"`,
      );
    }
  }
  return {
    eventStore,
    readStore,
    ...(kurrentdbUrl !== undefined ? { kurrentdbUrl } : {}),
    ...(mongodbUrl !== undefined ? { mongodbUrl } : {}),
    projections,
    projectionLeaseTtlMs,
  };
}
