import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { memoryOf, sleep } from './measure';

export const ROOT = join(__dirname, '..');

/** A server this benchmark started as a child process, on a loopback port. */
export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  memory(): { rssMb: number; peakMb: number } | null;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts an entry point of this repository in its own Node process (so it has a core of its own and
 * the load generator the other), and waits until `readyPath` answers 200. A `.ts` entry runs through
 * ts-node; a `.js` one (the compiled service in dist/, as `npm start` runs it) runs with plain Node.
 */
export async function startChild(options: {
  entry: string;
  env?: Record<string, string>;
  readyPath: string;
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<ChildServer> {
  const port = await freePort();
  const typescript = options.entry.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...typescript, join(ROOT, options.entry)],
    {
      cwd: ROOT,
      env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.entry} exited with ${child.exitCode}: ${stderr}`);
    try {
      const answer = await fetch(`${url}${options.readyPath}`);
      if (answer.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.entry} did not become ready: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    memory: () => memoryOf(child.pid!),
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
