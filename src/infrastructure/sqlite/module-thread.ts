import { join } from 'node:path';
import { type ResourceLimits, type TransferListItem, Worker } from 'node:worker_threads';

/**
 * Starts `<directory>/<name>` in a worker thread. From the compiled dist/ the thread runs the compiled
 * .js file; from TypeScript source (ts-node, jest) typescript-thread.js compiles it there.
 */
export function startModuleThread(
  directory: string,
  name: string,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
  /** Ports (or other transferables) inside `workerData`, handed over to the thread. */
  transferList?: readonly TransferListItem[],
): Worker {
  const limits = {
    ...(resourceLimits ? { resourceLimits } : {}),
    ...(transferList ? { transferList: [...transferList] } : {}),
  };
  const start = (execArgv: string[]): Worker => {
    if (__filename.endsWith('.js')) {
      return new Worker(join(directory, `${name}.js`), { execArgv, workerData, ...limits });
    }
    return new Worker(join(__dirname, 'typescript-thread.js'), {
      argv: [join(directory, `${name}.ts`)],
      execArgv: withoutTsNodeHooks(execArgv),
      workerData,
      ...limits,
    });
  };
  const execArgv = withoutHeapFlags(process.execArgv);
  try {
    return start(execArgv);
  } catch (error) {
    // Any other V8 option (--trace-gc, --stack-trace-limit=…) or process-wide one is refused too;
    // the refusal names them: the thread starts without them.
    const refused = refusedFlags(error);
    if (refused.length === 0) throw error;
    return start(withoutFlags(execArgv, refused));
  }
}

/** The options a Worker refused (ERR_WORKER_INVALID_EXEC_ARGV lists them after the colon). */
export function refusedFlags(error: unknown): string[] {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return [];
  const message = (error as Error).message;
  const listed = message.slice(message.indexOf(':') + 1);
  return listed
    .split(',')
    .map((flag) => flag.trim())
    .filter((flag) => flag.startsWith('-'));
}

/** `execArgv` less the given options, whether written `--flag=value` or `--flag`. */
export function withoutFlags(execArgv: readonly string[], flags: readonly string[]): string[] {
  const names = new Set(flags.map((flag) => flag.split('=')[0]!));
  return execArgv.filter((arg) => !names.has(arg.split('=')[0]!));
}

/** V8's heap sizes are the process's: a thread refuses to start with them (its own are `resourceLimits`). */
const HEAP_FLAG =
  /^--(max[-_]old[-_]space[-_]size|max[-_]semi[-_]space[-_]size|max[-_]heap[-_]size|initial[-_]old[-_]space[-_]size|initial[-_]heap[-_]size)(=|$)/;

/**
 * The parent's Node options for a thread, less V8's heap sizes: `node --max-old-space-size=384
 * dist/main.js`, a common way to bound a service's memory, would otherwise stop every thread from
 * starting (ERR_WORKER_INVALID_EXEC_ARGV), and with them every write.
 */
export function withoutHeapFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (!HEAP_FLAG.test(arg)) kept.push(arg);
    // The size may follow as an argument of its own.
    else if (!arg.includes('=') && /^\d+$/.test(execArgv[i + 1] ?? '')) i += 1;
  }
  return kept;
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
