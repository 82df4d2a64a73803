import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { withMetadata } from '../../domain/decider';
import { notFound } from '../../domain/errors';
import {
  trainingRecordDecider,
  type CreditClassHours,
  type CreditExamScore,
} from '../../domain/training/training-record';
import {
  refuseUnlessOwnProvider,
  trainingSessionDecider,
  type RecordAttendance,
  type RecordExamScores,
  type RecordProgress,
  type RecordSupervision,
  type ScheduledSession,
  type TrainingSessionCommand,
} from '../../domain/training/training-session';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';
import { TRAINING_RULES, type TrainingRules } from './training-rules';

type Change<C extends { type: string; data: unknown }> = Pick<C, 'type' | 'data'>;

/** Something recorded on an existing training session. */
export type TrainingSessionChange =
  Change<RecordAttendance> | Change<RecordProgress> | Change<RecordSupervision> | Change<RecordExamScores>;

export class ChangeTrainingSessionCommand {
  constructor(
    readonly change: TrainingSessionChange,
    readonly context: CommandContext,
  ) {}
}

type Credit = Omit<CreditClassHours, 'metadata'> | Omit<CreditExamScore, 'metadata'>;

function workersNamedBy(change: TrainingSessionChange): string[] {
  switch (change.type) {
    case 'RecordAttendance':
      return [...new Set(change.data.workerIds)];
    case 'RecordProgress':
      return [change.data.workerId];
    case 'RecordExamScores':
      return [...new Set(change.data.scores.map((entry) => entry.workerId))];
    case 'RecordSupervision':
      return [];
  }
}

/**
 * What each named worker's training record must hold after the change, read from the session's state
 * (not from the events just written), so a retry after a crash between the appends completes the
 * records without doubling: crediting what is already credited decides nothing.
 */
function creditsFor(change: TrainingSessionChange, session: ScheduledSession, passMark: number): Credit[] {
  const { sessionId, providerId } = session;
  // The credit's own fields go before `...base`: added after a spread, they would give each credit a
  // hidden class of its own in V8 (docs/performance.md, item 67).
  const base = { sessionId, providerId, passMark };
  switch (change.type) {
    case 'RecordAttendance':
      return workersNamedBy(change)
        .filter((workerId) => session.attendees.includes(workerId))
        .map((workerId) => ({
          type: 'CreditClassHours',
          data: { workerId, hours: session.classHours, ...base },
        }));
    case 'RecordProgress': {
      const { workerId } = change.data;
      if (!Object.hasOwn(session.progress, workerId)) return [];
      return [{ type: 'CreditClassHours', data: { workerId, hours: session.progress[workerId]!, ...base } }];
    }
    case 'RecordExamScores':
      return change.data.scores
        .filter(
          ({ workerId, score }) =>
            Object.hasOwn(session.scores, workerId) && session.scores[workerId] === score,
        )
        .map(({ workerId, score }) => ({ type: 'CreditExamScore', data: { workerId, score, ...base } }));
    case 'RecordSupervision':
      return [];
  }
}

/**
 * Records attendance, progress, a supervision sheet or exam scores on the session's stream, then
 * credits each worker's own `trainingrecord-<workerId>` stream, where the issue gate reads it.
 * Every append derives its event ids from the command id, so a retried command writes nothing twice.
 */
@CommandHandler(ChangeTrainingSessionCommand)
export class ChangeTrainingSessionHandler implements ICommandHandler<
  ChangeTrainingSessionCommand,
  WriteResult
> {
  constructor(
    private readonly processor: CommandProcessor,
    @Inject(TRAINING_RULES) private readonly rules: TrainingRules,
  ) {}

  async execute({ change, context }: ChangeTrainingSessionCommand): Promise<WriteResult> {
    const { sessionId } = change.data;
    const stream = streams.trainingSession(sessionId);
    // The session and the caller's right to it first, so another provider learns nothing about workers.
    const before = await this.processor.load(trainingSessionDecider, stream);
    if (before.state.status === 'none') throw notFound(`training session ${sessionId} does not exist`);
    const refusal = refuseUnlessOwnProvider(context.actor, before.state.providerId);
    if (refusal) throw refusal;
    await this.requireWorkers(workersNamedBy(change));

    const outcome = await this.processor.execute(
      trainingSessionDecider,
      stream,
      (state, metadata) => {
        if (state.status === 'none') throw notFound(`training session ${sessionId} does not exist`);
        return withMetadata<TrainingSessionCommand>(change, metadata);
      },
      context,
      { checkExpectedRevision: true },
    );

    const after = await this.processor.load(trainingSessionDecider, stream);
    let position = outcome.position;
    if (after.state.status === 'scheduled') {
      // Each worker's record is a stream of its own: credited all at once (their appends share
      // commits), and answered once every credit has been tried. One that failed is retried with the
      // command, whose event ids make the credits already written no-ops.
      const credits = await Promise.allSettled(
        creditsFor(change, after.state, this.rules.passMark).map((credit) =>
          this.processor.execute(
            trainingRecordDecider,
            streams.trainingRecord(credit.data.workerId),
            (_state, metadata) => withMetadata<CreditClassHours | CreditExamScore>(credit, metadata),
            context,
          ),
        ),
      );
      for (const credit of credits) {
        if (credit.status === 'rejected') throw credit.reason;
        position = Math.max(position, credit.value.position);
      }
    }
    return { id: sessionId, revision: outcome.revision, position, created: false };
  }

  /**
   * Every worker named must be registered; an unknown one is a 404 and nothing is written. A worker's
   * stream begins with its registration, so the stream holding events is the worker existing.
   */
  private async requireWorkers(workerIds: readonly string[]): Promise<void> {
    for (const workerId of workerIds) {
      if (!(await this.processor.exists(streams.worker(workerId)))) {
        throw notFound(`worker ${workerId} does not exist`);
      }
    }
  }
}
