import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { withMetadata } from '../../domain/decider';
import { notFound } from '../../domain/errors';
import {
  recordedPersonalData,
  workerDecider,
  type RecordConsent,
  type UpdateWorkerInfo,
  type WorkerEvent,
} from '../../domain/worker/worker';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

/** A change to an existing worker: consent or info update (compared here with what is recorded). */
export type WorkerChange =
  | Pick<RecordConsent, 'type' | 'data'>
  | { type: 'UpdateWorkerInfo'; data: Omit<UpdateWorkerInfo['data'], 'recorded'> };

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
      (state, metadata, stream): RecordConsent | UpdateWorkerInfo => {
        if (state.status === 'unregistered') throw notFound(`worker ${workerId} does not exist`);
        if (change.type === 'RecordConsent') return withMetadata<RecordConsent>(change, metadata);
        const recorded = recordedPersonalData(stream.events as unknown as WorkerEvent[]);
        return { type: 'UpdateWorkerInfo', data: { ...change.data, recorded }, metadata };
      },
      context,
      { checkExpectedRevision: true, needsPersonalData: change.type === 'UpdateWorkerInfo' },
    );
    return { id: workerId, revision: outcome.revision, position: outcome.position, created: false };
  }
}
