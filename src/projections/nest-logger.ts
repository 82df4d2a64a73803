import type { Logger } from '@nestjs/common';

/** What the projection runner, the lease guard and the WAL checkpointer report through. */
export type Reporter = Pick<Logger, 'log' | 'warn' | 'error'>;

/** Nest's module, once some logger has a message (one promise: every message waits on the same). */
let nest: Promise<typeof import('@nestjs/common')> | undefined;

/**
 * Nest's logger for `context`, loaded with the first message rather than with the module that asks
 * for it: a rebuild's threads, which report nothing, then never load @nestjs/common and rxjs (~360
 * modules, ~0.25 s of each thread's start, inside the rebuild's time). Where Nest is loaded already
 * (the service), a message is written a microtask later; messages keep their order, across loggers.
 */
export function nestLogger(context: string): Reporter {
  let logger: Logger | undefined;
  const report = (write: (logger: Logger) => void): void => {
    nest ??= import('@nestjs/common');
    // A message that cannot be written is dropped: reporting never brings the process down.
    nest.then((module) => write((logger ??= new module.Logger(context)))).catch(() => undefined);
  };
  return {
    log: (message: unknown, ...rest: unknown[]) => report((it) => it.log(message, ...rest)),
    warn: (message: unknown, ...rest: unknown[]) => report((it) => it.warn(message, ...rest)),
    error: (message: unknown, ...rest: unknown[]) => report((it) => it.error(message, ...rest)),
  };
}
