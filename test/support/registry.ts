import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Clock } from '../../src/application/ports/clock';
import type { Role } from '../../src/domain/actor';
import { loadTokenKeys } from '../../src/infrastructure/auth/token-keys';
import { signToken } from '../../src/infrastructure/auth/tokens';
import { loadConfig, type AppConfig } from '../../src/infrastructure/config/config';
import { createApp } from '../../src/infrastructure/create-app';

export interface HttpAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The real service, listening on a loopback port, with its data in a temporary DATA_DIR. */
export interface RunningRegistry {
  readonly url: string;
  readonly dataDir: string;
  readonly app: NestFastifyApplication;
  token(role: Role, agencyId?: string, sub?: string): Promise<string>;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  /** Stops the service, keeping DATA_DIR. */
  close(): Promise<void>;
}

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'hsc-registry-'));
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}

export async function startRegistry(
  dataDir = temporaryDataDir(),
  overrides: Partial<AppConfig> = {},
  /** A clock the test controls (e.g. to spread events over weeks); the system clock otherwise. */
  clock?: Clock,
): Promise<RunningRegistry> {
  process.env.LOG_LEVEL = 'silent';
  const config: AppConfig = { ...loadConfig({}), dataDir, port: 0, host: '127.0.0.1', ...overrides };
  const app = await createApp({ config, ...(clock ? { clock } : {}) });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const keys = await loadTokenKeys(dataDir);

  let lastWrite = 0;
  return {
    url,
    dataDir,
    app,
    token: (role, agencyId, sub) =>
      signToken(keys, config.tokenIssuer, {
        sub: sub ?? `${role}-${agencyId ?? 'city'}`,
        role,
        ...(agencyId ? { agencyId } : {}),
      }),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      // Read your own writes, as a real client does: a query waits until the read models reflect
      // the newest write this client has seen, unless the test asks for a position itself.
      const explicit =
        path.includes('minPosition=') || Object.keys(headers).some((h) => /^x-min-position$/i.test(h));
      if (method === 'GET' && !explicit && lastWrite > 0) headers['x-min-position'] = String(lastWrite);
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      const position = (parsed as { position?: unknown } | null)?.position;
      if (method !== 'GET' && response.ok && typeof position === 'number')
        lastWrite = Math.max(lastWrite, position);
      return { status: response.status, body: parsed, headers: response.headers };
    },
    close: () => app.close(),
  };
}
