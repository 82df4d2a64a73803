import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { notFound } from '../../domain/errors';
import { workerDecider, type EraseWorker } from '../../domain/worker/worker';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { CLOCK, type Clock } from '../ports/clock';
import { PERSONAL_DATA_CIPHER, type PersonalDataCipher } from '../ports/personal-data-cipher';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class EraseWorkerCommand {
  constructor(
    readonly workerId: string,
    readonly reason: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * Erasure (PIPL art. 47) by crypto-shredding: `WorkerErased {reason}` is appended first (who and why,
 * for ever), then the worker's data key is destroyed, which makes every copy of their name, ID number
 * and phone unreadable — in events, read models and backups of both. Projections scrub on the event.
 * A crash between the two steps is repaired by any later erasure request for the same worker.
 */
@CommandHandler(EraseWorkerCommand)
export class EraseWorkerHandler implements ICommandHandler<EraseWorkerCommand, WriteResult> {
  constructor(
    private readonly processor: CommandProcessor,
    @Inject(PERSONAL_DATA_CIPHER) private readonly cipher: PersonalDataCipher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ workerId, reason, context }: EraseWorkerCommand): Promise<WriteResult> {
    const stream = streams.worker(workerId);
    const before = await this.processor.load(workerDecider, stream);
    // Already erased (maybe the key survived a crash): destroy it now, then let the decider answer 409.
    if (before.state.status === 'erased') await this.destroyKey(workerId);
    const outcome = await this.processor.execute(
      workerDecider,
      stream,
      (state, metadata): EraseWorker => {
        if (state.status === 'unregistered') throw notFound(`worker ${workerId} does not exist`);
        return { type: 'EraseWorker', data: { workerId, reason }, metadata };
      },
      context,
      { checkExpectedRevision: true },
    );
    await this.destroyKey(workerId);
    return { id: workerId, revision: outcome.revision, position: outcome.position, created: false };
  }

  private destroyKey(workerId: string): Promise<void> {
    return this.cipher.destroyKey(workerId, this.clock.now().toISOString());
  }
}
