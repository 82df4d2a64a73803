import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { notFound } from '../../domain/errors';
import { workerDecider, type RecordConsent, type UpdateWorkerInfo } from '../../domain/worker/worker';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

/** A change to an existing worker: consent or info update. */
export type WorkerChange = Pick<RecordConsent, 'type' | 'data'> | Pick<UpdateWorkerInfo, 'type' | 'data'>;

export class ChangeWorkerCommand {
  constructor(
    readonly change: WorkerChange,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ChangeWorkerCommand)
export class ChangeWorkerHandler implements ICommandHandler<ChangeWorkerCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ change, context }: ChangeWorkerCommand): Promise<WriteResult> {
    const { workerId } = change.data;
    const outcome = await this.processor.execute(
      workerDecider,
      streams.worker(workerId),
      (state, metadata) => {
        if (state.status === 'unregistered') throw notFound(`worker ${workerId} does not exist`);
        return { ...change, metadata } as RecordConsent | UpdateWorkerInfo;
      },
      context,
      { checkExpectedRevision: true },
    );
    return { id: workerId, revision: outcome.revision, position: outcome.position, created: false };
  }
}
