import { join } from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts `<directory>/<name>` in a worker thread. From the compiled dist/ the thread runs the compiled
 * .js file; from TypeScript source (ts-node, jest) typescript-thread.js compiles it there.
 */
export function startModuleThread(
  directory: string,
  name: string,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  const limits = resourceLimits ? { resourceLimits } : {};
  if (__filename.endsWith('.js')) return new Worker(join(directory, `${name}.js`), { workerData, ...limits });
  return new Worker(join(__dirname, 'typescript-thread.js'), {
    argv: [join(directory, `${name}.ts`)],
    execArgv: withoutTsNodeHooks(process.execArgv),
    workerData,
    ...limits,
  });
}

/**
 * The parent's Node options for the thread, less a preloaded ts-node hook (`-r ts-node/register`,
 * as the benchmark starts the service): typescript-thread.js compiles from its cache instead of
 * loading the compiler into the thread (about 0.5 s and 50 MB).
 */
export function withoutTsNodeHooks(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if ((arg === '-r' || arg === '--require') && execArgv[i + 1]?.includes('ts-node')) i += 1;
    else if (!/^(-r|--require)=.*ts-node/.test(arg)) kept.push(arg);
  }
  return kept;
}
