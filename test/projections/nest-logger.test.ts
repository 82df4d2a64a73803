import { Logger, type LoggerService } from '@nestjs/common';
import { nestLogger } from '../../src/projections/nest-logger';

/** A logger that keeps what it is given, in order. */
class Kept implements LoggerService {
  readonly messages: string[] = [];
  log(message: unknown, context?: string): void {
    this.messages.push(`log ${context}: ${String(message)}`);
  }
  warn(message: unknown, context?: string): void {
    this.messages.push(`warn ${context}: ${String(message)}`);
  }
  error(message: unknown, stack?: string, context?: string): void {
    this.messages.push(`error ${context}: ${String(message)} (${stack})`);
  }
}

describe("nestLogger: Nest's logger, loaded with the first message", () => {
  const kept = new Kept();
  beforeAll(() => Logger.overrideLogger(kept));
  afterAll(() => Logger.overrideLogger(false));

  it('reports every message through Nest, with its context, in the order it was given', async () => {
    const runner = nestLogger('ProjectionRunner');
    const lease = nestLogger('ProjectionLease');
    runner.warn('first');
    lease.log('second');
    runner.error('third', 'a stack');
    runner.log('fourth');
    // Written once Nest's module is there, a microtask or two later.
    await new Promise((resolve) => setImmediate(resolve));
    expect(kept.messages).toEqual([
      'warn ProjectionRunner: first',
      'log ProjectionLease: second',
      'error ProjectionRunner: third (a stack)',
      'log ProjectionRunner: fourth',
    ]);
  });
});
